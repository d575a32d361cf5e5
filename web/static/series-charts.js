/* Charts of a contest's points over time on the console's contest and rep pages.

   #series-charts-config lists the charts: {host, contest, by, top, rep, pace, leads}. Each is drawn from
   /api/v1/contests/{contest}/series (cumulative points per line, the pace line when asked and there is a target,
   lead changes marked on the chart and listed in the element `leads` names), then fetched again whenever
   the contest's boards change on the websocket, so the lines move while the page is open. */
(function () {
  "use strict";

  var REFETCH_MS = 600;
  var config, T;
  var charts = [];

  function url(chart) {
    var query = "by=" + (chart.by || "rep") + "&top=" + (chart.top || 5);
    if (chart.rep) { query += "&rep=" + encodeURIComponent(chart.rep); }
    return "/api/v1/contests/" + encodeURIComponent(chart.contest) + "/series?" + query;
  }

  function dayStart(doc, dayText) {
    var index = doc.days.indexOf(dayText);
    return index >= 0 ? doc.x[index] : null;
  }

  function listLeads(chart, doc) {
    var list = chart.leads && document.getElementById(chart.leads);
    if (!list) { return; }
    list.textContent = "";
    if (!doc.lead_changes.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = T.no_leads;
      list.appendChild(none);
      return;
    }
    doc.lead_changes.forEach(function (change) {
      var item = document.createElement("li");
      var when = document.createElement("time");
      when.dateTime = change.day;
      when.textContent = ArenaCharts.formatDay(dayStart(doc, change.day));
      item.appendChild(when);
      item.appendChild(document.createTextNode(" " + ArenaText.fill(T.took_lead, {name: change.name})));
      list.appendChild(item);
    });
  }

  function spec(chart, doc) {
    return {
      caption: chart.caption,
      x: doc.x,
      series: doc.series.map(function (line) { return {label: line.name, values: line.cumulative}; }),
      pace: chart.pace && doc.pace ? {label: T.pace, values: doc.pace} : null,
      marks: chart.leads ? doc.lead_changes.map(function (change) {
        return {x: dayStart(doc, change.day), label: change.name};
      }) : []
    };
  }

  function draw(chart, doc) {
    var host = document.getElementById(chart.host);
    if (!host) { return; }
    if (!doc.days.length) {
      host.textContent = T.empty;
      return;
    }
    if (chart.view) { chart.view.update(spec(chart, doc)); } else { host.textContent = ""; chart.view = ArenaCharts.line(host, spec(chart, doc)); }
    var last = doc.series.map(function (line) { return line.cumulative[line.cumulative.length - 1]; });
    host.setAttribute("data-last", last.join(","));
    listLeads(chart, doc);
  }

  function load(chart) {
    return fetch(url(chart), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (doc) { if (doc) { draw(chart, doc); } })
      .catch(function () { /* the next board change or reconnect fetches again */ });
  }

  function start() {
    var boards = [];
    config = JSON.parse(document.getElementById("series-charts-config").textContent);
    T = config.text;
    config.charts.forEach(function (chart) {
      charts.push(chart);
      load(chart);
      var board = "contest:" + chart.contest;
      if (boards.indexOf(board) < 0) { boards.push(board); }
    });
    if (!config.live || !boards.length) { return; }
    new ArenaSocket({
      boards: boards,
      onMessage: function (message) {
        if (message.op !== "diff" && message.op !== "snapshot") { return; }
        charts.forEach(function (chart) {
          if (message.board !== "contest:" + chart.contest) { return; }
          clearTimeout(chart.timer);
          chart.timer = setTimeout(function () { load(chart); }, REFETCH_MS);
        });
      }
    });
  }

  // the page's settings (#console-config) follow the content this script may be included in
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
