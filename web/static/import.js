/* CSV import of reps: preview every row (server-side checks, nothing stored), then import the valid ones. A file
   is sent as it is (refused before upload when too large); pasted rows are sent as text. */
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

  function send(dryRun, button) {
    var request = C.api("POST", "/api/v1/reps/import" + (dryRun ? "?dry_run=1" : ""), source(), "text/csv; charset=utf-8");
    return C.working(button, request)
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
