/* The console's dashboard: charts from /api/v1/contests/{id}/series, kept live over the TVs' websocket.

   Each live contest's boards (reps and teams) are watched; a change redraws the team standing and the team
   comparison at once and refetches the contest's series (the server replays the log and keeps the answer
   until the next event), so the line and the pace always show what the boards count. New deals and badges
   are prepended to their lists as they are announced. */
(function () {
  "use strict";

  var REFETCH_MS = 600;  // changes arriving together cost one refetch
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var page = JSON.parse(document.getElementById("console-config").textContent);
  var T = config.text;
  var number = ArenaCharts.formatNumber;  // the charts' format, for the figures around them
  var contests = {};

  var fill = ArenaText.fill;

  function $(root, selector) { return root.querySelector(selector); }

  function card(id) { return document.querySelector('.dash-contest[data-contest="' + CSS.escape(id) + '"]'); }

  // --- the line: points so far against the pace ----------------------------------------------------------

  function lineSpec(doc) {
    return {
      caption: T.line,
      x: doc.x,
      series: [{label: T.total, values: doc.total.cumulative}],
      pace: doc.pace ? {label: T.pace, values: doc.pace} : null
    };
  }

  function showPace(state, points, target) {
    var node = $(state.card, ".pace");
    var contest = state.contest;
    $(state.card, ".points").textContent = number(points);
    if (!target) {
      node.setAttribute("data-status", "none");
      node.textContent = "";
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = T.no_target;
      node.appendChild(none);
      return;
    }
    var start = Date.parse(contest.starts_at);
    var end = Date.parse(contest.ends_at);
    var elapsed = Math.min(Math.max(Date.now() - start, 0), end - start);
    var expected = end > start ? 100 * elapsed / (end - start) : 100;
    var percent = 100 * points / target;
    var status = points >= target ? "reached" : (percent >= expected ? "on_track" : "behind");
    node.setAttribute("data-status", status);
    node.textContent = "";
    var word = document.createElement("span");
    word.className = "pace-word";
    word.textContent = T[status];
    var numbers = document.createElement("span");
    numbers.className = "pace-numbers";
    numbers.textContent = fill(T.numbers, {percent: number(Math.round(percent * 10) / 10),
                                           expected: number(Math.round(expected * 10) / 10)});
    node.appendChild(word);
    node.appendChild(document.createTextNode(" · "));
    node.appendChild(numbers);
  }

  function drawLine(state, doc) {
    var host = document.getElementById("line-" + state.contest.id);
    if (state.line) { state.line.update(lineSpec(doc)); } else { host.textContent = ""; state.line = ArenaCharts.line(host, lineSpec(doc)); }
    var total = doc.total.cumulative.length ? doc.total.cumulative[doc.total.cumulative.length - 1] : 0;
    host.setAttribute("data-total", String(total));
    showPace(state, total, doc.target);
  }

  function loadSeries(state) {
    var url = "/api/v1/contests/" + encodeURIComponent(state.contest.id) + "/series?by=team&top=" + config.lines;
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (doc) { if (doc) { drawLine(state, doc); } })
      .catch(function () { /* offline for a moment: the next change or reconnect fetches again */ });
  }

  function refetchSoon(state) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { loadSeries(state); }, REFETCH_MS);
  }

  // --- the teams: standing table and comparison ----------------------------------------------------------

  function mine(teamId) { return !!config.teams && config.teams.indexOf(teamId) >= 0; }

  function drawTeams(state, rows) {
    var body = $(state.card, ".dash-teams tbody");
    body.textContent = "";
    rows.forEach(function (row) {
      var line = document.createElement("tr");
      line.setAttribute("data-team", row.id);
      if (mine(row.id)) { line.className = "mine"; }
      var rank = document.createElement("td");
      rank.className = "num";
      rank.textContent = row.rank;
      var name = document.createElement("td");
      name.textContent = row.name || row.id;
      if (mine(row.id)) {
        var chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = T.yours;
        name.appendChild(document.createTextNode(" "));
        name.appendChild(chip);
      }
      var score = document.createElement("td");
      score.className = "num score";
      score.textContent = ArenaCharts.formatScore(row.score, state.contest.percent);
      line.appendChild(rank);
      line.appendChild(name);
      line.appendChild(score);
      body.appendChild(line);
    });
    var percent = state.contest.percent;  // percent-of-target boards: tenths of a percent, drawn as percent
    var spec = {caption: T.bars, nameLabel: T.team, labels: rows.map(function (r) { return r.name || r.id; }),
                series: [{label: percent ? T.percent : T.points,
                          values: rows.map(function (r) { return percent ? r.score / 10 : r.score; })}], height: 220};
    var host = document.getElementById("bars-" + state.contest.id);
    if (!rows.length) { return; }
    if (state.bars) { state.bars.update(spec); } else { state.bars = ArenaCharts.bars(host, spec); }
  }

  function drawLeader(state, rows) {
    var top = rows[0];
    var node = $(state.card, ".leader");
    if (!top || !top.score) { return; }
    node.textContent = "";
    var own = !config.teams || mine(top.team);  // another team's rep has no page for this manager
    var name = document.createElement(own ? "a" : "span");
    name.className = "name";
    if (own) { name.href = "/admin/reps/" + encodeURIComponent(top.id); }
    name.textContent = top.name || top.id;
    var score = document.createElement("span");
    score.className = "score num";
    score.textContent = ArenaCharts.formatScore(top.score, state.contest.percent);
    node.appendChild(name);
    node.appendChild(document.createTextNode(" · "));
    node.appendChild(score);
  }

  // --- the feeds -------------------------------------------------------------------------------------------

  /* A moment as the server writes it on this page (its words and order from the page: T.moment), in the
     organisation's time zone: a badge announced live gets the time it came, as the ones listed when the page
     opened. */
  var stamp = new Intl.DateTimeFormat("en-US", {timeZone: page.timezone, year: "numeric", month: T.month_style,
                                                day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  function when(moment) {
    var parts = {};
    stamp.formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    return ArenaText.fill(T.moment, parts);
  }

  function prepend(listId, parts) {
    var list = document.getElementById(listId);
    var empty = $(list, ".empty");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.className = "fresh";
    parts.forEach(function (part) {
      var node = document.createElement(part[0]);
      if (part[2]) { node.className = part[2]; }
      node.textContent = part[1];
      item.appendChild(node);
      item.appendChild(document.createTextNode(" "));
    });
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 8) { list.removeChild(list.lastChild); }
  }

  function onMessage(message) {
    var board = message.board || "";
    var id = board.indexOf("contest:") === 0 ? board.slice(8).split(":")[0] : null;
    var state = id ? contests[id] : null;
    if ((message.op === "snapshot" || message.op === "diff") && state) {
      var teams = /:teams$/.test(board);
      var key = teams ? "teamBoard" : "repBoard";
      if (message.op === "diff" && !state[key]) { return; }
      state[key] = ArenaSocket.applyBoard(state[key], message);
      if (teams) { drawTeams(state, state[key].rows); } else { drawLeader(state, state[key].rows); }
      refetchSoon(state);
    } else if (message.op === "epoch" && state) {
      delete state.teamBoard;
      delete state.repBoard;
    } else if (message.op === "celebrate" && message.kind === "deal" && state) {
      prepend("deals", [["strong", message.name || message.rep], ["span", "+" + number(message.points || 0), "num"],
                        ["span", state.contest.name, "muted"]]);
    } else if (message.op === "badge" && message.action === "awarded" && (!config.teams || mine(message.team))) {
      var title = message.title ? (message.title[page.locale] || message.title.en) : message.badge;
      prepend("badges", [["strong", message.name || message.rep], ["span", title], ["span", when(new Date()), "muted"]]);
    }
  }

  /* Undecided anti-gaming flags of every live contest, asked one contest at a time (each is a replay). */
  function countFlags() {
    var counter = document.querySelector("#open-flags .count");
    var item = document.getElementById("open-flags");
    var total = 0;
    var first = null;
    var chain = Promise.resolve();
    if (!counter) { return; }
    config.contests.forEach(function (contest) {
      if (!contest.manages) { return; }  // a company-wide contest an admin runs: its flags are theirs
      chain = chain.then(function () {
        return fetch("/api/v1/contests/" + encodeURIComponent(contest.id) + "/flags",
                     {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {flags: []}; })
          .then(function (body) {
            var open = body.flags.filter(function (flag) { return !flag.decision; }).length;
            total += open;
            if (open && first === null) { first = contest.id; }
          });
      });
    });
    chain.then(function () {
      counter.textContent = number(total);
      item.classList.toggle("has-open", total > 0);
      if (first !== null && item.tagName === "A") { item.href = "/admin/contests/" + encodeURIComponent(first) + "/lift"; }
    }).catch(function () { counter.textContent = "–"; });
  }

  function start() {
    var boards = [];
    config.contests.forEach(function (contest) {
      var state = contests[contest.id] = {contest: contest, card: card(contest.id), line: null, bars: null};
      drawTeams(state, contest.teams);
      loadSeries(state);
      boards.push("contest:" + contest.id, "contest:" + contest.id + ":teams");
    });
    countFlags();
    var status = document.getElementById("live-status");
    var socket = new ArenaSocket({
      boards: boards,
      onMessage: onMessage,
      onStatus: function (value) {
        status.setAttribute("data-state", value);
        status.textContent = value === "open" ? T.live : T.offline;
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { socket.nudge(); }
    });
  }

  start();
})();
