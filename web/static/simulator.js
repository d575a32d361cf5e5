/* The wizard's pre-launch simulator: last month's logged events through this draft. When nobody scores it says
   why and what to do (the API's diagnosis); kept as draft A, the next draft is compared side by side: the reps'
   scores as a histogram (charts.js, with a table of the same counts), prize cost, Gini and champion. */
(function () {
  "use strict";
  var C = window.arenaConsole, W = window.arenaWizard;
  var S = JSON.parse(document.getElementById("simulation-config").textContent);
  var rowsTable = document.getElementById("simulation-rows");
  var summary = document.getElementById("simulation-summary");
  var hint = document.getElementById("simulation-hint");
  var errors = document.getElementById("simulation-errors");
  var comparePanel = document.getElementById("simulation-compare");
  var chartEl = document.getElementById("simulation-chart");
  var draftA = null, chart = null;

  var fill = ArenaText.fill;
  function typeNames(types) {
    var seen = [];
    types.forEach(function (t) { var name = S.types[t] || t; if (seen.indexOf(name) < 0) { seen.push(name); } });
    return seen.join(", ") || "—";
  }
  function money(amount) {
    var value = Number(amount || 0);
    try {
      return new Intl.NumberFormat(C.config.locale, {style: "currency", currency: C.config.currency,
        currencyDisplay: "narrowSymbol", maximumFractionDigits: 0}).format(value);
    } catch (err) { return String(value); }
  }
  /* Last month in the organisation's time zone, as the server laid it out when the page loaded (not the
     browser's: on the 1st in Shanghai it is still the month before in London). */
  function lastMonth() {
    var period = W.periods.last_month;
    return {from: period[0], to: period[1]};
  }
  function cell(tr, value, numeric, header) {
    var td = document.createElement(header ? "th" : "td");
    if (header) { td.scope = "row"; }
    if (numeric) { td.className = "num"; }
    td.textContent = value;
    tr.appendChild(td);
  }

  function showRows(rows, second) {
    var body = rowsTable.tBodies[0];
    body.textContent = "";
    rows.slice(0, 10).forEach(function (row) {
      var tr = document.createElement("tr");
      var cells = second ? [row.ranks[1] || "—", row.name, row.scores[1], row.scores[0]] : [row.rank, row.name, row.score];
      cells.forEach(function (value, index) { cell(tr, value, index !== 1); });
      body.appendChild(tr);
    });
    document.getElementById("col-b").hidden = !second;
    rowsTable.hidden = false;
  }

  function explain(diagnosis, window_) {
    hint.hidden = !diagnosis || !diagnosis.reason;
    if (hint.hidden) { return; }
    var words = S.reasons[diagnosis.reason];
    var everyone = diagnosis.reason === "no_reps_in_scope" || diagnosis.reason === "no_participant_events";
    document.getElementById("simulation-hint-title").textContent = words[0];
    document.getElementById("simulation-hint-text").textContent = fill(words[1], {
      from: window_.from.slice(0, 10), to: window_.to.slice(0, 10), reps: diagnosis.participants,
      events: everyone ? diagnosis.events_in_window : diagnosis.participant_events,
      types: typeNames(diagnosis.logged_types), rules: typeNames(diagnosis.scored_types),
      matching: diagnosis.matching_events
    });
  }

  /* The server bins both drafts' scores alike: one bar per draft in each score range. */
  function histogramChart(histogram) {
    var spec = {
      caption: document.getElementById("simulation-chart-title").textContent,
      nameLabel: S.range,
      labels: histogram.counts[0].map(function (n, i) {
        return histogram.edges[i] + "–" + (histogram.edges[i + 1] - 1);
      }),
      series: [{label: S.reps_a, values: histogram.counts[0], color: "#6b7280"},
               {label: S.reps_b, values: histogram.counts[1], color: "#1d4ed8"}],
      height: 240,
      tableId: "simulation-histogram"
    };
    if (chart) { chart.update(spec); } else { chart = window.ArenaCharts.bars(chartEl, spec); }
    chartEl.dataset.drawn = "1";
  }

  function repName(comparison, id) {
    var row = comparison.rows.filter(function (r) { return r.id === id; })[0];
    return row ? row.name : "—";
  }

  function costs(data) {
    var c = data.comparison, body = document.getElementById("simulation-costs").tBodies[0];
    var name = function (id) { return repName(c, id); };
    body.textContent = "";
    [[S.prize_cost, money(c.prize_cost[0]), money(c.prize_cost[1])],
     [S.gini, c.gini[0].toFixed(2), c.gini[1].toFixed(2)],
     [S.champion, name(c.champions[0]), name(c.champions[1])]].forEach(function (line) {
      var tr = document.createElement("tr");
      tr.dataset.row = line[0];
      cell(tr, line[0], false, true);
      cell(tr, line[1], true);
      cell(tr, line[2], true);
      body.appendChild(tr);
    });
  }

  function simulate(compare) {
    var window_ = lastMonth();
    var draft = W.definition(false);
    var body = compare ? {definitions: [draftA, draft], from: window_.from, to: window_.to}
                       : {definition: draft, from: window_.from, to: window_.to};
    summary.textContent = "";
    errors.textContent = "";
    var button = document.getElementById(compare ? "compare" : "simulate");
    C.working(button, C.api("POST", "/api/v1/contests/simulate", body)).then(function (result) {
      if (!result.ok) { summary.textContent = ""; C.showErrors(errors, result); return; }
      var data = result.data;
      if (compare) {
        var c = data.comparison;
        showRows(c.rows.slice().sort(function (x, y) { return (x.ranks[1] || 1e9) - (y.ranks[1] || 1e9); }), true);
        summary.textContent = fill(S.compare, {a: repName(c, c.champions[0]), b: repName(c, c.champions[1]),
          ga: c.gini[0].toFixed(2), gb: c.gini[1].toFixed(2), moved: c.moved[1]});
        explain(data.simulations[1].diagnosis, window_);
        comparePanel.hidden = false;
        histogramChart(c.histogram);
        costs(data);
        return;
      }
      comparePanel.hidden = true;
      showRows(data.standings, false);
      rowsTable.hidden = Boolean(data.diagnosis && data.diagnosis.reason);  // no table of zeros: the hint says why
      var counted = data.diagnosis ? data.diagnosis.events_in_window : data.log.events;  // the period's, not the log's
      summary.textContent = fill(S.summary, {events: counted, gini: data.gini.toFixed(2),
        median: data.spread.median_gap, cost: money(data.prize_cost.total), changes: data.lead_changes});
      explain(data.diagnosis, window_);
      document.getElementById("keep-draft").disabled = false;
    });
  }

  document.getElementById("simulate").addEventListener("click", function () { simulate(false); });
  document.getElementById("keep-draft").addEventListener("click", function () {
    draftA = W.definition(false);
    document.getElementById("compare").disabled = false;
  });
  document.getElementById("compare").addEventListener("click", function () { simulate(true); });
})();
