/* Backfill of historical deals from CSV: the server checks every row first (nothing stored), then imports
   the valid ones through the same idempotent ingest as live deals. A file is sent as it is (refused before
   upload when too large); row errors are shown in the page's language with their line and column. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var E = window.FieldErrors;
  var card = document.getElementById("backfill");
  if (!card) { return; }
  var T = JSON.parse(document.getElementById("backfill-config").textContent);
  var run = document.getElementById("backfill-run");
  var summary = document.getElementById("backfill-summary");
  var errors = document.getElementById("backfill-errors");
  var source = C.csvSource(document.getElementById("backfill-file"), document.getElementById("backfill-text"), T.limit);
  var fill = ArenaText.fill;

  function send(dryRun, button) {
    var request = C.api("POST", "/api/v1/events/import" + (dryRun ? "?dry_run=1" : ""), source(), "text/csv; charset=utf-8");
    return C.working(button, request)
      .then(function (result) {
        C.showErrors(errors, result.ok ? {data: {}} : result, card, {source: "backfill"});
        Array.prototype.forEach.call(errors.querySelectorAll(".row-problem"), function (old) { old.remove(); });
        if (!result.ok) { return null; }
        result.data.errors.slice(0, 50).forEach(function (problem) {
          var item = document.createElement("div");
          item.className = "row-problem";
          var words = E.translate(problem.message);
          item.textContent = problem.field ? fill(E.text.cell, {n: problem.line, column: problem.field, message: words})
                                           : fill(E.text.line, {n: problem.line, message: words});
          errors.appendChild(item);
        });
        summary.textContent = fill(dryRun ? T.checked : T.done, result.data);
        run.disabled = !dryRun || result.data.valid === 0;
        return result;
      });
  }
  var preview = document.getElementById("backfill-preview");
  preview.addEventListener("click", function () { send(true, preview); });
  run.addEventListener("click", function () { send(false, run); });
})();
