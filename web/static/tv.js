/* Office TV: one board at a time from the display's playlist, live, animated, readable from afar.
   Rows are keyed by id and reused, so the DOM stays the same size however long the screen runs. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("tv-config").textContent);
  var boardEl = document.getElementById("board");
  var emptyEl = document.getElementById("empty");
  var titleEl = document.getElementById("board-title");
  var countdownEl = document.getElementById("countdown");
  var connectionEl = document.getElementById("connection");
  var celebrationEl = document.getElementById("celebration");
  var rowsById = {};          // id -> <li>, reused across frames
  var latest = {};            // board -> last snapshot message
  var slide = 0;
  var celebrationQueue = [];
  var celebrating = false;
  var moneyFormat = new Intl.NumberFormat(config.locale, {style: "currency", currency: config.currency,
                                                          maximumFractionDigits: 0});
  var numberFormat = new Intl.NumberFormat(config.locale);

  function currentBoard() { return config.playlist[slide % config.playlist.length]; }

  function rowElement(id) {
    var li = rowsById[id];
    if (li) { return li; }
    li = document.createElement("li");
    li.className = "row";
    li.dataset.id = id;
    ["rank", "name", "team", "score"].forEach(function (part) {
      var span = document.createElement("span");
      span.className = "row-" + part;
      li.appendChild(span);
    });
    rowsById[id] = li;
    return li;
  }

  function render(message) {
    if (message.board !== currentBoard()) { return; }
    var contest = message.contest || {};
    titleEl.textContent = contest.name ? contest.name + (message.board.endsWith(":teams") ? " · " + config.text.teams : "") : titleEl.textContent;
    countdownEl.dataset.endsAt = contest.ends_at || "";
    // FLIP: remember where each row was, re-order, then animate from the old place to the new one.
    var before = {};
    Object.keys(rowsById).forEach(function (id) { before[id] = rowsById[id].getBoundingClientRect().top; });
    var keep = {};
    var fragment = document.createDocumentFragment();
    message.rows.forEach(function (row) {
      var li = rowElement(row.id);
      keep[row.id] = true;
      li.children[0].textContent = row.rank;
      li.children[1].textContent = row.name;
      li.children[2].textContent = (message.team_names || {})[row.team] || row.team || "";
      li.children[3].textContent = numberFormat.format(row.score);
      li.classList.toggle("top", row.rank <= 3);
      li.dataset.rank = row.rank;
      fragment.appendChild(li);
    });
    Object.keys(rowsById).forEach(function (id) {
      if (!keep[id]) { rowsById[id].remove(); delete rowsById[id]; }
    });
    boardEl.appendChild(fragment);
    emptyEl.hidden = message.rows.length > 0;
    message.rows.forEach(function (row) {
      var li = rowsById[row.id];
      if (before[row.id] === undefined) { return; }
      var delta = before[row.id] - li.getBoundingClientRect().top;
      if (Math.abs(delta) < 1) { return; }
      li.animate([{transform: "translateY(" + delta + "px)"}, {transform: "translateY(0)"}],
                 {duration: 700, easing: "cubic-bezier(.2,.8,.2,1)"});
      if (delta > 0) { li.animate([{backgroundColor: "#2f6b3a"}, {backgroundColor: "transparent"}], {duration: 1800}); }
    });
  }

  function celebrate(message) {
    celebrationQueue.push(message);
    if (celebrationQueue.length > 5) { celebrationQueue.splice(0, celebrationQueue.length - 5); }
    if (!celebrating) { showNextCelebration(); }
  }

  function showNextCelebration() {
    // A burst of deals becomes one card naming them together, not a flood of overlays.
    if (!celebrationQueue.length) { celebrationEl.hidden = true; celebrating = false; return; }
    var burst = celebrationQueue.splice(0, celebrationQueue.length);
    celebrating = true;
    var names = burst.map(function (m) { return m.name; });
    document.getElementById("celebration-name").textContent = names.slice(0, 3).join(" · ") + (names.length > 3 ? " +" + (names.length - 3) : "");
    var last = burst[burst.length - 1];
    var detail = last.amount ? moneyFormat.format(Number(last.amount)) : "";
    document.getElementById("celebration-detail").textContent = detail + "  +" + last.points + " " + config.text.points;
    celebrationEl.hidden = false;
    setTimeout(showNextCelebration, 4000);
  }

  function tickCountdown() {
    var endsAt = countdownEl.dataset.endsAt;
    if (!endsAt) { countdownEl.textContent = ""; return; }
    var left = Math.floor((Date.parse(endsAt) - Date.now()) / 1000);
    if (left <= 0) { countdownEl.textContent = config.text.ended; return; }
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    countdownEl.textContent = config.text.ends_in + " " + (d ? d + config.text.days + " " : "") + two(h) + ":" + two(m) + ":" + two(s);
  }

  function rotate() {
    if (config.playlist.length < 2) { return; }
    slide += 1;
    Object.keys(rowsById).forEach(function (id) { rowsById[id].remove(); delete rowsById[id]; });
    if (latest[currentBoard()]) { render(latest[currentBoard()]); }
  }

  var socket = new ArenaSocket({
    token: config.token,
    boards: config.playlist,
    onStatus: function (status) {
      connectionEl.hidden = status === "open";
      document.body.classList.toggle("offline", status !== "open");
    },
    onMessage: function (message) {
      if (message.op === "snapshot") { latest[message.board] = message; render(message); }
      else if (message.op === "diff" && latest[message.board]) {
        // Rows are keyed by id: replace the changed ones, drop the removed ones, keep the rank order.
        var board = latest[message.board];
        var byId = {};
        board.rows.forEach(function (row) { byId[row.id] = row; });
        message.rows.forEach(function (row) { byId[row.id] = row; });
        message.removed.forEach(function (id) { delete byId[id]; });
        board.rows = Object.keys(byId).map(function (id) { return byId[id]; })
          .sort(function (a, b) { return a.rank - b.rank; });
        board.seq = message.seq;
        render(board);
      }
      else if (message.op === "celebrate") { celebrate(message); }
    }
  });
  window.arenaTv = {socket: socket, rowCount: function () { return boardEl.children.length; }};
  setInterval(tickCountdown, 1000);
  setInterval(rotate, config.slideSeconds * 1000);
})();
