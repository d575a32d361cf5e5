/* Sales Arena charts: one small layer over the vendored uPlot (web/static/vendor/uplot/) for every console page.

   ArenaCharts.line(host, spec)       series over days (epoch seconds of local midnights), optional pace line;
                                      or over named steps (spec.labels, e.g. baseline → contest), a series may be
                                      dashed, and spec.interval draws a confidence interval as a whisker
   ArenaCharts.bars(host, spec)       a comparison of named things, one or two series side by side (two drafts'
                                      counts per score range make a grouped histogram)
   ArenaCharts.histogram(host, spec)  how many values fall in each of a few equal bins
   ArenaCharts.formatNumber(value), ArenaCharts.formatDay(seconds)  the page's formats, for text next to a chart
   ArenaCharts.formatScore(value, percent)  a board score: points, or tenths of a percent as "95.0%"

   Every chart draws into `host` (an element) a canvas plus a <details> with a <table> of the very same numbers,
   so a screen reader, a keyboard user or a copy-paste gets what the picture shows. Dates are shown in the
   organisation's time zone and labels in the page's language (both from #console-config unless the spec says
   otherwise); canvas text uses the page's font so Chinese renders with the CJK font; the chart follows its
   host's width. Each call returns {update(spec), destroy()}: live pages push new numbers through update().
   spec.table: false leaves the table out where the page renders the same numbers itself (the lift report's
   server-side table, readable without script); spec.tableId names the table. */
(function (global) {
  "use strict";

  // Colours with at least 4.5:1 contrast on white, distinguishable for the common colour-vision deficiencies.
  var PALETTE = ["#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#4b5563"];
  var PACE_COLOUR = "#111827";
  var WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];
  var DEFAULT_TEXT = {numbers: "Show the numbers", date: "Date", pace: "Pace to target", count: "Count",
                      range: "Range", name: "Name"};

  function config() {
    var node = document.getElementById("console-config");
    if (!node) { return {}; }
    try { return JSON.parse(node.textContent) || {}; } catch (err) { return {}; }
  }

  function settings(spec) {
    var page = config();
    var text = {};
    var key;
    for (key in DEFAULT_TEXT) { text[key] = DEFAULT_TEXT[key]; }
    for (key in (page.chart || {})) { text[key] = page.chart[key]; }
    for (key in (spec.text || {})) { text[key] = spec.text[key]; }
    return {
      locale: spec.locale || page.locale || document.documentElement.lang || "en",
      timezone: spec.timezone || page.timezone || "Asia/Shanghai",
      text: text
    };
  }

  function colour(index, given) { return given || PALETTE[index % PALETTE.length]; }

  function numberFormat(locale) {
    var format = new Intl.NumberFormat(locale, {maximumFractionDigits: 1});
    return function (value) { return value === null || value === undefined ? "–" : format.format(value); };
  }

  /* A board score: points, or on percent-of-target boards (kept in tenths of a percent so that 63.4 % and
     63.9 % do not tie) a percentage with one decimal, 950 → "95.0%", as the chat notifications write it. */
  function scoreFormat(locale) {
    var points = numberFormat(locale);
    var tenths = new Intl.NumberFormat(locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
    return function (value, percent) {
      if (!percent || value === null || value === undefined) { return points(value); }
      return tenths.format(value / 10) + "%";
    };
  }

  function dayFormat(locale, timezone) {
    var format = new Intl.DateTimeFormat(locale, {timeZone: timezone, month: "numeric", day: "numeric"});
    return function (seconds) { return format.format(new Date(seconds * 1000)); };
  }

  var formats = null;
  /* The page's number and day formats (language and org time zone from #console-config), made once. */
  function pageFormats() {
    if (!formats) {
      var conf = settings({});
      formats = {number: numberFormat(conf.locale), day: dayFormat(conf.locale, conf.timezone),
                 score: scoreFormat(conf.locale)};
    }
    return formats;
  }

  function fontOf(host, size, weight) {
    var style = getComputedStyle(host);
    return (weight || "400") + " " + size + "px " + style.fontFamily;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* The table fallback: a caption, one header row, then rows of [label, ...numbers]. */
  function renderTable(parts, caption, head, rows, format) {
    var details = parts.details;
    if (!details) { return; }
    var table = element("table", "chart-table");
    if (parts.tableId) { table.id = parts.tableId; }
    var headRow = element("tr");
    var body = element("tbody");
    table.appendChild(element("caption", "", caption || ""));
    head.forEach(function (name, index) {
      var cell = element("th", "", name);
      cell.scope = "col";
      if (index > 0) { cell.className = "num"; }
      headRow.appendChild(cell);
    });
    table.appendChild(element("thead")).appendChild(headRow);
    rows.forEach(function (row) {
      var line = element("tr");
      row.forEach(function (value, index) {
        var cell = element(index === 0 ? "th" : "td", index === 0 ? "" : "num", index === 0 ? value : format(value));
        if (index === 0) { cell.scope = "row"; }
        line.appendChild(cell);
      });
      body.appendChild(line);
    });
    table.appendChild(body);
    var old = details.querySelector("table");
    if (old) { details.replaceChild(table, old); } else { details.appendChild(table); }
  }

  /* Host layout shared by every kind: a figure with the canvas area, then the details with the table. */
  function frame(host, spec, conf) {
    host.textContent = "";
    host.classList.add("chart");
    var plot = element("div", "chart-plot");
    plot.setAttribute("role", "img");
    plot.setAttribute("aria-label", spec.caption || "");
    host.appendChild(plot);
    if (spec.table === false) { return {plot: plot, details: null}; }
    var details = element("details", "chart-data");
    details.appendChild(element("summary", "", conf.text.numbers));
    host.appendChild(details);
    return {plot: plot, details: details, tableId: spec.tableId};
  }

  function axisStyle(host, values, extra) {
    var axis = {
      stroke: "#374151",
      font: fontOf(host, 12),
      grid: {stroke: "#e5e7eb", width: 1},
      ticks: {stroke: "#d1d5db", width: 1},
      values: values
    };
    var key;
    for (key in (extra || {})) { axis[key] = extra[key]; }
    return axis;
  }

  /* Keeps a uPlot instance as wide as its host (and redraws once the web fonts are in, for CJK labels). */
  function follow(host, plot, chart, height) {
    function fit() {
      var width = Math.max(200, Math.floor(plot.clientWidth || host.clientWidth || 600));
      chart.setSize({width: width, height: height});
    }
    var observer = null;
    if (global.ResizeObserver) {
      observer = new ResizeObserver(function () { fit(); });
      observer.observe(plot);
    } else {
      global.addEventListener("resize", fit);
    }
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
    fit();
    return function () { if (observer) { observer.disconnect(); } else { global.removeEventListener("resize", fit); } };
  }

  function mount(host, spec, build) {
    var conf = settings(spec);
    var parts = frame(host, spec, conf);
    var height = spec.height || 260;
    var state = build(spec, conf, parts);
    var chart = new global.uPlot(state.options(height, host), state.data, parts.plot);
    var unfollow = follow(host, parts.plot, chart, height);
    return {
      chart: chart,
      update: function (next) {
        spec = next;
        state = build(next, conf, parts);
        if (state.series !== chart.series.length - 1) {
          chart.destroy();
          parts.plot.textContent = "";
          chart = new global.uPlot(state.options(height, host), state.data, parts.plot);
          this.chart = chart;
          unfollow();
          unfollow = follow(host, parts.plot, chart, height);
        } else {
          chart.setData(state.data);
        }
        parts.plot.setAttribute("aria-label", next.caption || "");
      },
      destroy: function () { unfollow(); chart.destroy(); host.textContent = ""; }
    };
  }

  // --- line: series over days -----------------------------------------------------------------------------

  function buildLine(spec, conf, parts) {
    var number = numberFormat(conf.locale);
    var day = dayFormat(conf.locale, conf.timezone);
    var labels = spec.labels || null;  // named steps instead of days
    var name = labels ? function (x) { return labels[x] === undefined ? "" : labels[x]; } : day;
    var xs = labels ? labels.map(function (label, index) { return index; }) : (spec.x || []);
    var lines = spec.series || [];
    var data = [xs];
    var nameLabel = spec.nameLabel || (labels ? conf.text.name : conf.text.date);
    var series = [{label: nameLabel, value: function (u, v) { return v === null ? "–" : name(v); }}];
    lines.forEach(function (line, index) {
      var stroke = colour(index, line.color);
      var drawn = {label: line.label, stroke: stroke, width: line.width || 2, points: {show: true, size: 5},
                   value: function (u, v) { return number(v); }};
      if (line.dash) { drawn.dash = line.dash; }
      if (labels) { drawn.points = {show: true, size: 9, stroke: stroke, fill: stroke}; }  // few points: bold
      data.push(line.values);
      series.push(drawn);
    });
    if (spec.pace) {
      data.push(spec.pace.values);
      series.push({label: spec.pace.label || conf.text.pace, stroke: PACE_COLOUR, width: 1.5, dash: [6, 4],
                   points: {show: false}, value: function (u, v) { return number(v); }});
    }
    var head = [nameLabel].concat(lines.map(function (l) { return l.label; }));
    if (spec.pace) { head.push(spec.pace.label || conf.text.pace); }
    var rows = xs.map(function (x, i) {
      return [name(x)].concat(data.slice(1).map(function (column) { return column[i]; }));
    });
    renderTable(parts, spec.caption, head, rows, number);
    var interval = spec.interval || null;
    if (interval) {  // a legend entry only (no values of its own): the whisker is drawn by the draw hook
      var range = number(interval.low) + " – " + number(interval.high);
      data.push(xs.map(function () { return null; }));
      series.push({label: interval.label, stroke: interval.color || PACE_COLOUR, width: 3, points: {show: false},
                   value: function () { return range; }});
    }
    var marks = spec.marks || [];
    return {
      data: data,
      series: series.length - 1,
      options: function (height, host) {
        var y = {range: function (u, min, max) {
          var low = interval ? Math.min(0, min, interval.low) : 0;
          var high = Math.max(1, max, interval ? interval.high : 0);
          return [low, high + (high - low) * 0.08];
        }};
        var x = labels ? {time: false, range: function () { return [-0.3, Math.max(0, labels.length - 1) + 0.3]; }}
                       : {time: true};
        // Days: a tick on each day's own midnight (every k-th day when they are too many for the width, at least
        // 56 px apart), never uPlot's half-day ticks, which wrote each date twice.
        var xAxis = labels ? {splits: function () { return xs; }, grid: {show: false}} : {splits: function (u) {
          var room = Math.max(1, Math.floor(u.bbox.width / (global.devicePixelRatio || 1) / 56));
          var every = Math.max(1, Math.ceil(xs.length / room));
          return xs.filter(function (x, i) { return i % every === 0; });
        }};
        return {
          width: 600,
          height: height,
          tzDate: function (ts) { return global.uPlot.tzDate(new Date(ts * 1000), conf.timezone); },
          scales: {x: x, y: y},
          series: series,
          axes: [
            axisStyle(host, function (u, splits) {
              var shown = splits.map(name);
              host.dataset.ticks = shown.join("|");  // what the axis wrote, for people's tools and tests
              return shown;
            }, xAxis),
            axisStyle(host, function (u, splits) { return splits.map(number); }, {size: 64})
          ],
          legend: labels ? {show: true, live: false} : {show: true},  // a few named steps: labelled points, no cursor
          cursor: labels ? {show: false} : {points: {size: 7}},
          hooks: {draw: [function (u) { drawMarks(u, marks, host); drawInterval(u, interval); }]}
        };
      }
    };
  }

  /* A confidence interval at one x: a vertical bar with caps from low to high. */
  function drawInterval(u, interval) {
    if (!interval || interval.low === null || interval.high === null) { return; }
    var ctx = u.ctx;
    var ratio = global.devicePixelRatio || 1;
    var x = u.valToPos(interval.x, "x", true);
    var cap = 8 * ratio;
    var low = u.valToPos(interval.low, "y", true);
    var high = u.valToPos(interval.high, "y", true);
    ctx.save();
    ctx.strokeStyle = interval.color || PACE_COLOUR;
    ctx.lineWidth = 3 * ratio;
    ctx.beginPath();
    ctx.moveTo(x, low); ctx.lineTo(x, high);
    ctx.moveTo(x - cap, low); ctx.lineTo(x + cap, low);
    ctx.moveTo(x - cap, high); ctx.lineTo(x + cap, high);
    ctx.stroke();
    ctx.restore();
  }

  /* Vertical ticks where something happened (a lead change), labelled at the top of the plot. */
  function drawMarks(u, marks, host) {
    if (!marks.length) { return; }
    var ctx = u.ctx;
    var ratio = global.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = "#92400e";
    ctx.fillStyle = "#92400e";
    ctx.setLineDash([2, 3]);
    ctx.font = fontOf(host, Math.round(11 * ratio), "600");
    var rowEnds = [];  // labels that would overlap go one row down (three rows, then the newest wins)
    marks.forEach(function (mark) {
      var left = Math.round(u.valToPos(mark.x, "x", true));
      if (left < u.bbox.left || left > u.bbox.left + u.bbox.width) { return; }
      ctx.beginPath();
      ctx.moveTo(left, u.bbox.top);
      ctx.lineTo(left, u.bbox.top + u.bbox.height);
      ctx.stroke();
      if (!mark.label) { return; }
      var width = ctx.measureText(mark.label).width;
      var x = Math.min(left + 3 * ratio, u.bbox.left + u.bbox.width - width);
      var row = 0;
      while (row < 2 && rowEnds[row] !== undefined && rowEnds[row] > x) { row += 1; }
      rowEnds[row] = x + width + 4 * ratio;
      ctx.fillText(mark.label, x, u.bbox.top + (12 + 14 * row) * ratio);
    });
    ctx.restore();
  }

  // --- bars: a comparison -----------------------------------------------------------------------------------

  function buildBars(spec, conf, parts) {
    var number = numberFormat(conf.locale);
    var labels = spec.labels || [];
    var groups = (spec.series || []).slice(0, 2);
    var xs = labels.map(function (label, index) { return index; });
    var data = [xs];
    var series = [{label: spec.nameLabel || conf.text.name,
                   value: function (u, v) { return v === null ? "–" : labels[v]; }}];
    var bars = global.uPlot.paths.bars;
    var counts = groups.every(function (group) {
      return group.values.every(function (v) { return v === null || Number.isInteger(v); });
    });
    groups.forEach(function (group, index) {
      var align = groups.length === 1 ? 0 : (index === 0 ? -1 : 1);
      data.push(group.values);
      series.push({label: group.label, fill: colour(index, group.color), stroke: colour(index, group.color),
                   width: 0, points: {show: false}, value: function (u, v) { return number(v); },
                   paths: bars({size: [groups.length === 1 ? 0.6 : 0.36, 64], align: align})});
    });
    renderTable(parts, spec.caption, [spec.nameLabel || conf.text.name].concat(groups.map(function (g) {
      return g.label;
    })), labels.map(function (label, i) {
      return [label].concat(groups.map(function (g) { return g.values[i]; }));
    }), number);
    return {
      data: data,
      series: series.length - 1,
      options: function (height, host) {
        return {
          width: 600,
          height: height,
          scales: {x: {time: false, range: function () { return [-0.5, Math.max(0, labels.length - 0.5)]; }},
                   y: {range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; }}},
          series: series,
          axes: [
            axisStyle(host, function (u, splits) {
              return splits.map(function (v) { return Number.isInteger(v) && labels[v] !== undefined ? labels[v] : ""; });
            }, {splits: function () { return xs; }, grid: {show: false}}),
            axisStyle(host, function (u, splits) { return splits.map(number); },
                      counts ? {size: 64, incrs: WHOLE_STEPS} : {size: 64})  // no "0.5 reps" on a count axis
          ],
          legend: {show: groups.length > 1},
          cursor: {points: {show: false}}
        };
      }
    };
  }

  // --- histogram --------------------------------------------------------------------------------------------

  /* Equal-width bins over [min, max] of the values; the last bin includes max. */
  function binned(values, count) {
    var finite = values.filter(function (v) { return typeof v === "number" && isFinite(v); });
    if (!finite.length) { return {labels: [], counts: []}; }
    var low = Math.min.apply(null, finite);
    var high = Math.max.apply(null, finite);
    var bins = Math.max(1, Math.min(count || 10, finite.length));
    var width = high > low ? (high - low) / bins : 1;
    var counts = [];
    var edges = [];
    var i;
    for (i = 0; i < bins; i += 1) { counts.push(0); edges.push(low + i * width); }
    finite.forEach(function (v) { counts[Math.min(bins - 1, Math.floor((v - low) / width))] += 1; });
    return {edges: edges, width: width, counts: counts};
  }

  function buildHistogram(spec, conf, parts) {
    var number = numberFormat(conf.locale);
    var bins = binned(spec.values || [], spec.bins);
    var labels = (bins.edges || []).map(function (edge) {
      return number(edge) + "–" + number(edge + bins.width);
    });
    return buildBars({caption: spec.caption, labels: labels, nameLabel: spec.rangeLabel || conf.text.range,
                      series: [{label: spec.label || conf.text.count, values: bins.counts, color: spec.color}]},
                     conf, parts);
  }

  global.ArenaCharts = {
    line: function (host, spec) { return mount(host, spec, buildLine); },
    bars: function (host, spec) { return mount(host, spec, buildBars); },
    histogram: function (host, spec) { return mount(host, spec, buildHistogram); },
    formatNumber: function (value) { return pageFormats().number(value); },
    formatScore: function (value, percent) { return pageFormats().score(value, percent); },
    formatDay: function (seconds) { return pageFormats().day(seconds); },
    binned: binned,
    palette: PALETTE.slice()
  };
})(window);
