/* CSV import of reps: preview every row (server-side checks, nothing stored), then import the valid ones. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var T = JSON.parse(document.getElementById("import-text-config").textContent);
  var text = document.getElementById("import-text");
  var table = document.getElementById("import-rows");
  var run = document.getElementById("import-run");
  var summary = document.getElementById("import-summary");
  var errors = document.getElementById("import-errors");
  function fill(t, v) { return t.replace(/\{(\w+)\}/g, function (a, k) { return v[k]; }); }

  document.getElementById("import-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    file.text().then(function (content) { text.value = content; });
  });

  function send(dryRun) {
    errors.textContent = "";
    return C.api("POST", "/api/v1/reps/import" + (dryRun ? "?dry_run=1" : ""), text.value, "text/csv; charset=utf-8")
      .then(function (result) {
        if (!result.ok) { C.showErrors(errors, result); return null; }
        var body = table.tBodies[0];
        body.textContent = "";
        result.data.rows.forEach(function (row) {
          var tr = document.createElement("tr");
          tr.className = row.errors.length ? "row-error" : "row-ok";
          [row.line, row.id, row.name, row.team || "—", row.errors.length ? row.errors.join("; ") : T[row.action]]
            .forEach(function (value) { var td = document.createElement("td"); td.textContent = value; tr.appendChild(td); });
          body.appendChild(tr);
        });
        table.hidden = false;
        summary.textContent = dryRun ? fill(T.summary, result.data) : fill(T.imported, {n: result.data.imported});
        run.disabled = !dryRun || result.data.valid === 0;
        return result;
      });
  }
  document.getElementById("import-preview").addEventListener("click", function () { send(true); });
  run.addEventListener("click", function () {
    send(false).then(function (result) { if (result) { setTimeout(function () { location.reload(); }, 1200); } });
  });
})();
