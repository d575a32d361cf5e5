/* Lift report: a baseline-vs-contest chart per KPI (mean per rep of the participants and of the comparison
   group, the expectation without the contest dashed, and the estimate's 95 % interval as a whisker), drawn by
   the console's chart module (charts.js). The page renders the same numbers in the table under each chart.
   Also asks before a reversal. */
(function () {
  "use strict";
  var COLORS = {participants: "#2563eb", comparison: "#6b7280", expected: "#92400e", ci: "#047857"};

  function draw(holder) {
    var spec = JSON.parse(holder.dataset.chart), s = spec.slope, t = spec.text;
    var series = [{label: t.participants, values: s.participants, color: COLORS.participants, width: 3}];
    if (s.comparison) { series.push({label: t.comparison, values: s.comparison, color: COLORS.comparison}); }
    series.push({label: t.expected, values: s.expected, color: COLORS.expected, dash: [6, 5]});
    window.ArenaCharts.line(holder, {
      caption: t.participants + ": " + s.participants.join(" → "),
      labels: [t.baseline, t.contest],
      series: series,
      interval: s.ci ? {x: 1, low: s.ci[0], high: s.ci[1], label: t.ci, color: COLORS.ci} : null,
      table: false  // the page's own table, under the chart, holds these numbers and the estimate
    });
    holder.dataset.drawn = "1";
  }

  Array.prototype.forEach.call(document.querySelectorAll(".lift-chart[data-chart]"), draw);

  Array.prototype.forEach.call(document.querySelectorAll("form.decision"), function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button.value === "reverse" && !window.confirm(form.dataset.confirmReverse)) {
        event.preventDefault();
      }
    });
  });
})();
