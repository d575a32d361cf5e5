/* CSV import of reps: preview every row (server-side checks, nothing stored), then import the valid ones. A file
   is sent as it is (refused before upload when too large); pasted rows are sent as text. While an import is
   stored, its progress bar fills from what the server reports. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var E = window.FieldErrors;
  var T = JSON.parse(document.getElementById("import-text-config").textContent);
  var table = document.getElementById("import-rows");
  var run = document.getElementById("import-run");
  var summary = document.getElementById("import-summary");
  var errors = document.getElementById("import-errors");
  var card = document.getElementById("import");
  var source = C.csvSource(document.getElementById("import-file"), document.getElementById("import-text"), T.limit);
  var fill = ArenaText.fill;

  /* A name for one import, so the bar can ask the server how far it has come (GET /api/v1/reps/import/{name}). */
  function importName() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function send(dryRun, button) {
    var name = dryRun ? null : importName();
    var url = "/api/v1/reps/import" + (dryRun ? "?dry_run=1" : "?progress=" + name);
    var request = C.api("POST", url, source(), "text/csv; charset=utf-8");
    var follow = name && function () {
      return C.api("GET", "/api/v1/reps/import/" + name).then(function (r) { return r.ok ? r.data : null; });
    };
    return C.working(button, request, follow)
      .then(function (result) {
        C.showErrors(errors, result.ok ? {data: {}} : result, card, {source: "import"});
        if (!result.ok) { return null; }
        var body = table.tBodies[0];
        body.textContent = "";
        result.data.rows.forEach(function (row) {
          var tr = document.createElement("tr");
          tr.className = row.errors.length ? "row-error" : "row-ok";
          var outcome = row.errors.length ? row.errors.map(E.translate).join("; ") : T[row.action];
          [row.line, row.id, row.name, row.team || "—", outcome].forEach(function (value, i) {
            var td = document.createElement("td");
            td.textContent = value;
            if (i === 0) { td.className = "num"; }
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
        table.hidden = false;
        summary.textContent = dryRun ? fill(T.summary, result.data) : fill(T.imported, {n: result.data.imported});
        run.disabled = !dryRun || result.data.valid === 0;
        return result;
      });
  }
  var preview = document.getElementById("import-preview");
  preview.addEventListener("click", function () { send(true, preview); });
  run.addEventListener("click", function () {
    send(false, run).then(function (result) { if (result) { setTimeout(function () { location.reload(); }, 1200); } });
  });
})();
