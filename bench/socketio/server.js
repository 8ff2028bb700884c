// Benchmark peer (issue 18): Socket.IO 4 on Node, the way a Socket.IO chat is
// usually written. A room per chat room (the `room` query parameter), every
// `msg` event re-emitted once to the room with io.to(room).emit, compression
// off, WebSocket transport only. No storage and no auth, like the bare relay
// (bench/relay/server.py); the frame it emits carries the same fields.
//
//     node bench/socketio/server.js --port 8107
//     node bench/socketio/server.js --port 8110 --durable postgres://user@host:5432/db
//
// --durable (issue 34): the same server with persistence bolted on as a team would, an
// INSERT into PostgreSQL before each emit (node-postgres, a pool of 10). Inserts of one
// room are chained, so a room's messages are stored and emitted in the order they came
// (as Parley's room lock does); a failed insert emits nothing.
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

const durable = arg("--durable", "");
let pool = null;
const chains = new Map(); // room -> the promise of its last insert
if (durable) {
  const { Pool } = require("pg");
  pool = new Pool({ connectionString: durable, max: 10 });
}

function store(room, body) {
  const prev = chains.get(room) || Promise.resolve();
  const next = prev.then(() =>
    pool.query("INSERT INTO messages (room, body) VALUES ($1, $2)", [room, body]).then(
      () => true,
      (err) => {
        process.stderr.write(`insert failed: ${err}\n`);
        return false;
      },
    ),
  );
  chains.set(room, next);
  return next;
}

io.on("connection", (socket) => {
  const room = String(socket.handshake.query.room || "main");
  socket.join(room);
  socket.on("msg", (data) => {
    if (!data || typeof data.message !== "string") return;
    const frame = { type: "message", room, body: data.message };
    if (!pool) {
      io.to(room).emit("message", frame);
      return;
    }
    store(room, data.message).then((ok) => {
      if (ok) io.to(room).emit("message", frame);
    });
  });
});

async function prepare() {
  if (!pool) return;
  await pool.query(
    "CREATE TABLE IF NOT EXISTS messages (id bigserial PRIMARY KEY, room text NOT NULL, " +
      "body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
  );
}

prepare().then(() => httpServer.listen({ host, port, backlog: 4096 }, () => {
  process.stderr.write(`socket.io ${require("socket.io/package.json").version} on ${host}:${port}\n`);
}));

function stop() {
  io.close();
  if (pool) pool.end();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
