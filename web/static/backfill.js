/* Backfill of historical deals from CSV: the server checks every row first (nothing stored), then imports
   the valid ones through the same idempotent ingest as live deals. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var card = document.getElementById("backfill");
  if (!card) { return; }
  var T = JSON.parse(document.getElementById("backfill-config").textContent);
  var text = document.getElementById("backfill-text");
  var run = document.getElementById("backfill-run");
  var summary = document.getElementById("backfill-summary");
  var errors = document.getElementById("backfill-errors");
  function fill(t, v) { return t.replace(/\{(\w+)\}/g, function (a, k) { return v[k]; }); }

  document.getElementById("backfill-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (file) { file.text().then(function (content) { text.value = content; }); }
  });

  function send(dryRun) {
    errors.textContent = "";
    return C.api("POST", "/api/v1/events/import" + (dryRun ? "?dry_run=1" : ""), text.value, "text/csv; charset=utf-8")
      .then(function (result) {
        if (!result.ok) { C.showErrors(errors, result); return null; }
        result.data.errors.slice(0, 50).forEach(function (problem) {
          var item = document.createElement("div");
          item.textContent = T.line + " " + problem.line + ": " + (problem.field ? problem.field + " " : "") + problem.message;
          errors.appendChild(item);
        });
        summary.textContent = fill(dryRun ? T.checked : T.done, result.data);
        run.disabled = !dryRun || result.data.valid === 0;
        return result;
      });
  }
  document.getElementById("backfill-preview").addEventListener("click", function () { send(true); });
  run.addEventListener("click", function () { send(false); });
})();
