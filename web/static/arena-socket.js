/* Sales Arena websocket client (protocol arena.v1.json).
   Reconnects by itself with jittered exponential backoff and re-subscribes with the last (epoch, seq) it
   saw, so a screen catches up after any outage. A heartbeat notices half-open connections (Wi-Fi gone
   without a close) and reconnects. Boards can be added and removed while connected. */
(function (global) {
  "use strict";

  var HEARTBEAT_MS = 20000;     // ping when quiet this long
  var DEAD_MS = 45000;          // nothing at all for this long: the connection is gone

  function ArenaSocket(options) {
    this.token = options.token || "";
    this.boards = (options.boards || []).slice();
    this.onMessage = options.onMessage || function () {};
    this.onStatus = options.onStatus || function () {};
    this.seen = {};          // board -> {epoch, seq}
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
    this.heartbeat = null;
    this.lastHeard = 0;
    this.status = "connecting";
    this.connect();
  }

  ArenaSocket.prototype.url = function () {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var query = this.token ? "?token=" + encodeURIComponent(this.token) : "";
    return scheme + "//" + location.host + "/ws" + query;
  };

  ArenaSocket.prototype.setStatus = function (status, detail) {
    this.status = status;
    this.onStatus(status, detail);
  };

  ArenaSocket.prototype.connect = function () {
    var self = this;
    var ws;
    if (this.stopped) { return; }
    try {
      ws = new WebSocket(this.url(), ["arena.v1.json"]);
    } catch (err) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.attempt = 0;
      self.lastHeard = Date.now();
      self.setStatus("open");
      self.boards.forEach(function (board) { self.sendSubscribe(board); });
      self.startHeartbeat();
    };
    ws.onmessage = function (event) {
      var message;
      self.lastHeard = Date.now();
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message.op === "epoch" && message.board) {
        delete self.seen[message.board];  // a rescore: the snapshot that follows replaces everything
      } else if (message.board && typeof message.seq === "number" && typeof message.epoch === "number") {
        self.seen[message.board] = {epoch: message.epoch, seq: message.seq};
      }
      if (message.op !== "pong") { self.onMessage(message); }
    };
    ws.onclose = function (event) {
      if (self.ws === ws) { self.ws = null; }
      self.stopHeartbeat();
      if (!self.stopped) { self.setStatus("closed", event && event.code); self.retry(); }
    };
    ws.onerror = function () { /* onclose follows and schedules the retry */ };
  };

  ArenaSocket.prototype.startHeartbeat = function () {
    var self = this;
    this.stopHeartbeat();
    this.heartbeat = setInterval(function () {
      var ws = self.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) { return; }
      var quiet = Date.now() - self.lastHeard;
      if (quiet > DEAD_MS) { ws.close(); return; }
      if (quiet > HEARTBEAT_MS) { ws.send(JSON.stringify({op: "ping", t: Date.now()})); }
    }, 5000);
  };

  ArenaSocket.prototype.stopHeartbeat = function () {
    if (this.heartbeat) { clearInterval(this.heartbeat); this.heartbeat = null; }
  };

  ArenaSocket.prototype.retry = function () {
    var self = this;
    var base = Math.min(30000, 500 * Math.pow(2, this.attempt));
    var delay = base / 2 + Math.random() * base / 2;   // jitter: no thundering herd after a restart
    this.attempt = Math.min(this.attempt + 1, 10);
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.connect(); }, delay);
  };

  /* After a long sleep (laptop lid, phone in a pocket) try at once instead of waiting for the backoff. */
  ArenaSocket.prototype.nudge = function () {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) { return; }
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  };

  ArenaSocket.prototype.sendSubscribe = function (board) {
    var request = {op: "subscribe", board: board};
    var last = this.seen[board];
    if (last) { request.epoch = last.epoch; request.seq = last.seq; }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(request)); }
  };

  ArenaSocket.prototype.subscribe = function (board) {
    if (this.boards.indexOf(board) < 0) { this.boards.push(board); }
    this.sendSubscribe(board);
  };

  ArenaSocket.prototype.unsubscribe = function (board) {
    var index = this.boards.indexOf(board);
    if (index >= 0) { this.boards.splice(index, 1); }
    delete this.seen[board];
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({op: "unsubscribe", board: board}));
    }
  };

  ArenaSocket.prototype.close = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopHeartbeat();
    if (this.ws) { this.ws.close(); }
  };

  /* Apply a snapshot or diff to a board copy {rows, contest, team_names, epoch, seq}; returns the copy. */
  ArenaSocket.applyBoard = function (copy, message) {
    copy = copy || {rows: [], contest: null, team_names: {}};
    if (message.op === "snapshot") {
      copy.rows = message.rows.slice();
    } else if (message.op === "diff") {
      var byId = {};
      var i;
      for (i = 0; i < copy.rows.length; i += 1) { byId[copy.rows[i].id] = copy.rows[i]; }
      for (i = 0; i < message.rows.length; i += 1) { byId[message.rows[i].id] = message.rows[i]; }
      (message.removed || []).forEach(function (id) { delete byId[id]; });
      copy.rows = Object.keys(byId).map(function (id) { return byId[id]; });
      copy.rows.sort(function (a, b) { return a.rank - b.rank || (a.id < b.id ? -1 : 1); });
    }
    if (message.contest) { copy.contest = message.contest; }
    if (message.team_names) { copy.team_names = message.team_names; }
    if (typeof message.total === "number") { copy.total = message.total; }
    if (message.period) { copy.period = message.period; }
    copy.epoch = message.epoch;
    copy.seq = message.seq;
    return copy;
  };

  global.ArenaSocket = ArenaSocket;
})(window);
