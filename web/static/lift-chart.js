/* Lift report: a baseline-vs-contest chart per KPI (mean per rep of the participants and of the comparison
   group, the expectation without the contest, and the estimate's 95 % interval as a whisker), drawn with the
   vendored uPlot. The same numbers are in the table under each chart. Also asks before a reversal. */
(function () {
  "use strict";
  var COLORS = {participants: "#2563eb", comparison: "#6b7280", expected: "#92400e", ci: "#047857"};

  function whisker(u) {
    var low = u.data[u.data.length - 2][1], high = u.data[u.data.length - 1][1];
    if (low === null || high === null || low === undefined) { return; }
    var ctx = u.ctx, x = u.valToPos(1, "x", true), cap = 8 * devicePixelRatio;
    var y1 = u.valToPos(low, "y", true), y2 = u.valToPos(high, "y", true);
    ctx.save();
    ctx.strokeStyle = COLORS.ci;
    ctx.lineWidth = 3 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(x, y1); ctx.lineTo(x, y2);
    ctx.moveTo(x - cap, y1); ctx.lineTo(x + cap, y1);
    ctx.moveTo(x - cap, y2); ctx.lineTo(x + cap, y2);
    ctx.stroke();
    ctx.restore();
  }

  function line(label, color, width, dash) {
    var spec = {label: label, stroke: color, width: width, points: {show: true, size: 9, stroke: color, fill: color}};
    if (dash) { spec.dash = dash; }
    return spec;
  }

  function draw(holder) {
    var spec = JSON.parse(holder.dataset.chart), s = spec.slope, t = spec.text;
    var data = [[0, 1], s.participants];
    var series = [{}, line(t.participants, COLORS.participants, 3)];
    if (s.comparison) { data.push(s.comparison); series.push(line(t.comparison, COLORS.comparison, 2)); }
    data.push(s.expected);
    series.push(line(t.expected, COLORS.expected, 2, [6, 5]));
    var dots = {show: true, size: 6, stroke: COLORS.ci, fill: COLORS.ci};
    data.push(s.ci ? [null, s.ci[0]] : [null, null], s.ci ? [null, s.ci[1]] : [null, null]);
    series.push({label: t.ci, stroke: COLORS.ci, width: 0, points: dots}, {label: "", stroke: COLORS.ci, width: 0, points: dots});
    var names = [t.baseline, t.contest];
    var opts = {
      width: Math.max(280, holder.clientWidth || 600),
      height: 260,
      scales: {x: {time: false, range: [-0.3, 1.3]}},
      axes: [
        {stroke: "#374151", splits: function () { return [0, 1]; }, values: function (u, splits) {
          return splits.map(function (v) { return names[v] || ""; });
        }},
        {stroke: "#374151", size: 70, values: function (u, splits) {
          return splits.map(function (v) { return v.toLocaleString(); });
        }}
      ],
      series: series,
      legend: {live: false},
      cursor: {show: false},
      hooks: {draw: [whisker]}
    };
    holder.setAttribute("role", "img");
    holder.setAttribute("aria-label", t.participants + ": " + s.participants.join(" → "));
    holder.textContent = "";
    var plot = new window.uPlot(opts, data, holder);
    // the interval's second series only completes the whisker: no legend entry of its own
    var entries = holder.querySelectorAll(".u-legend .u-series");
    if (entries.length) { entries[entries.length - 1].style.display = "none"; }  // uPlot's CSS outdoes [hidden]
    holder.dataset.drawn = "1";
    return plot;
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
