// Baseline 2: a plain socket.io server fanning the same board out with io.emit (Node, used by
// scripts/bench_fanout.py). socket.io is installed by the benchmark into a temp dir (NODE_PATH).
//
//   node socketio_server.js <port> <payload.json> <rate>
//
// Every client gets the snapshot on connection. While broadcasting ("start" on stdin, until "stop") it
// emits, <rate> times a second, io.emit("board", update) and io.emit("board", celebration), the objects
// parsed from the frames captured from Sales Arena (JSON.stringify gives back the same bytes; checked at
// start), the celebration's "event" stamped with the send time (CLOCK_MONOTONIC ns, 20 digits).
// Prints "ready" once listening; "exit" or EOF on stdin stops it.
"use strict";

const fs = require("fs");
const http = require("http");
const readline = require("readline");
const { Server } = require("socket.io");

const STAMP_MARK = "api:bench-";
const STAMP_DIGITS = 20;
const BACKLOG = 2048; // as uvicorn's default, so the three servers accept connections alike

const [port, payloadPath, rateText] = process.argv.slice(2);
const frames = JSON.parse(fs.readFileSync(payloadPath, "utf8"));
const snapshot = JSON.parse(frames.snapshot);
const update = JSON.parse(frames.update);
const celebration = JSON.parse(frames.celebrate);
for (const [name, text] of Object.entries(frames)) {
  if (JSON.stringify(JSON.parse(text)) !== text) {
    console.error(`warning: JSON.stringify changes the ${name} frame; sizes differ from the other servers`);
  }
}
if (!String(celebration.event).startsWith(STAMP_MARK)) {
  throw new Error(`celebration has no ${STAMP_MARK} event id: ${frames.celebrate}`);
}

const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ["websocket"], serveClient: false, perMessageDeflate: false });
io.on("connection", (socket) => socket.emit("board", snapshot));

function stampNow() {
  return String(process.hrtime.bigint()).padStart(STAMP_DIGITS, "0");
}

let timer = null;
let sent = 0;
let started = 0;
const interval = 1000 / Number(rateText || 4);

function tick() {
  io.emit("board", update);
  io.emit("board", { ...celebration, event: STAMP_MARK + stampNow() });
  sent += 1;
  const due = started + (sent + 1) * interval; // fixed schedule, no drift
  timer = setTimeout(tick, Math.max(0, due - performance.now()));
}

function start() {
  if (timer !== null) return;
  started = performance.now();
  sent = 0;
  timer = setTimeout(tick, interval);
}

function stop() {
  clearTimeout(timer);
  timer = null;
}

function exit() {
  stop();
  io.close();
  process.exit(0);
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = line.trim();
  if (command === "start") start();
  else if (command === "stop") stop();
  else if (command === "exit") exit();
}).on("close", exit);

httpServer.listen({ port: Number(port), host: "127.0.0.1", backlog: BACKLOG }, () => console.log("ready"));
