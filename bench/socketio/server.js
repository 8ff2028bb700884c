// Benchmark peer (issue 18): Socket.IO 4 on Node, the way a Socket.IO chat is
// usually written. A room per chat room (the `room` query parameter), every
// `msg` event re-emitted once to the room with io.to(room).emit, compression
// off, WebSocket transport only. No storage and no auth, like the bare relay
// (bench/relay/server.py); the frame it emits carries the same fields.
//
//     node bench/socketio/server.js --port 8107
//
// Nothing of this ships: it exists so the report can put Parley beside it.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = arg("--host", "127.0.0.1");
const port = Number(arg("--port", "8107"));

const httpServer = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, {
  transports: ["websocket"], // no long-polling: the generator speaks WebSocket only
  allowUpgrades: false,
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 65536, // the relay's max_size
  pingInterval: Number(arg("--ping-interval", "20000")), // the relay's and Parley's 20 s
  pingTimeout: Number(arg("--ping-timeout", "20000")),
  cors: { origin: true },
});

io.on("connection", (socket) => {
  const room = String(socket.handshake.query.room || "main");
  socket.join(room);
  socket.on("msg", (data) => {
    if (!data || typeof data.message !== "string") return;
    io.to(room).emit("message", { type: "message", room, body: data.message });
  });
});

httpServer.listen({ host, port, backlog: 4096 }, () => {
  process.stderr.write(`socket.io ${require("socket.io/package.json").version} on ${host}:${port}\n`);
});

function stop() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
