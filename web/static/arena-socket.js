/* Sales Arena websocket client: reconnects by itself with jittered exponential backoff and
   re-subscribes with the last (epoch, seq) it saw, so a screen catches up after any outage. */
(function (global) {
  "use strict";

  function ArenaSocket(options) {
    this.token = options.token || "";
    this.boards = options.boards || [];
    this.onMessage = options.onMessage || function () {};
    this.onStatus = options.onStatus || function () {};
    this.seen = {};          // board -> {epoch, seq}
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
    this.connect();
  }

  ArenaSocket.prototype.url = function () {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var query = this.token ? "?token=" + encodeURIComponent(this.token) : "";
    return scheme + "//" + location.host + "/ws" + query;
  };

  ArenaSocket.prototype.connect = function () {
    var self = this;
    var ws;
    try {
      ws = new WebSocket(this.url(), ["arena.v1.json"]);
    } catch (err) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.attempt = 0;
      self.onStatus("open");
      self.boards.forEach(function (board) { self.subscribe(board); });
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message.board && typeof message.seq === "number") {
        self.seen[message.board] = {epoch: message.epoch, seq: message.seq};
      }
      self.onMessage(message);
    };
    ws.onclose = function () {
      self.ws = null;
      if (!self.stopped) { self.onStatus("closed"); self.retry(); }
    };
    ws.onerror = function () { /* onclose follows and schedules the retry */ };
  };

  ArenaSocket.prototype.retry = function () {
    var self = this;
    var base = Math.min(30000, 500 * Math.pow(2, this.attempt));
    var delay = base / 2 + Math.random() * base / 2;   // jitter: no thundering herd after a restart
    this.attempt = Math.min(this.attempt + 1, 10);
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.connect(); }, delay);
  };

  ArenaSocket.prototype.subscribe = function (board) {
    var request = {op: "subscribe", board: board};
    var last = this.seen[board];
    if (last) { request.epoch = last.epoch; request.seq = last.seq; }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(request)); }
  };

  ArenaSocket.prototype.close = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.close(); }
  };

  global.ArenaSocket = ArenaSocket;
})(window);
