"""Abuse against a live server: malformed and oversized frames, floods, socket hoarding,
a client that never reads. The server answers each bad frame (an `error` or a protocol
close), keeps running, keeps its memory, and everybody else's traffic carries on.

Each test prints a `FIGURES` line (run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.typing import Origin

from parley.realtime import protocol
from parley.testing.faults import guest
from parley.testing.live import ServerProcess, base_env, migrate, private_database
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until_async

pytestmark = [pytest.mark.processes, pytest.mark.embedded_only]

# Limits of the abuse server (small, so each limit is reached quickly).
RATE, BURST, QUEUE_MAX, MAX_SOCKETS = 20, 20, 20, 4
BATCH = 40  # bad frames per connection, under the consumer's 50-a-minute abuse limit


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with private_database("sqlite") as db:
        env = base_env(
            db,
            WS_SEND_RATE=str(RATE),
            WS_SEND_BURST=str(BURST),
            WS_QUEUE_MAX=str(QUEUE_MAX),
            WS_MAX_SOCKETS_PER_USER=str(MAX_SOCKETS),
            # No main room: the corpus sends to room 1 as a room these guests are not in.
            PARLEY_MAIN_ROOM="",
        )
        migrate(env)
        srv = ServerProcess(env).start()
        try:
            yield srv
        finally:
            srv.stop()


def figures(name: str, **values: Any) -> None:
    print(f"\nFIGURES {name} " + json.dumps(values, sort_keys=True))


def rss_kib(srv: ServerProcess) -> int:
    assert srv.proc is not None
    for line in Path(f"/proc/{srv.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_sockets(srv: ServerProcess) -> float:
    """The server's `parley_open_sockets` gauge (WebSockets registered with its hub)."""
    text = httpx.get(srv.url + "/metrics", timeout=5).text
    found = re.search(r"^parley_open_sockets(?:\{[^}]*\})? (\S+)$", text, re.MULTILINE)
    assert found, "no parley_open_sockets in /metrics"
    return float(found.group(1))


def alive(srv: ServerProcess) -> bool:
    assert srv.proc is not None
    return srv.proc.poll() is None and httpx.get(srv.url + "/healthz", timeout=5).status_code == 200


async def raw_socket(srv: ServerProcess, user: RemoteUser, **kw: Any) -> Any:
    ws = await websockets.connect(
        f"{srv.ws_url}?token={user.token}", origin=Origin(srv.url), compression=None, open_timeout=10, **kw
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert hello["type"] == "hello"
    return ws


async def answer_to(ws: Any, timeout: float) -> dict[str, Any]:
    """The next frame that answers the client, past unsolicited `presence` frames (a
    person's own presence arrives after the hello since protocol 3)."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] != "presence":
            return frame


# --- the corpus -------------------------------------------------------------------


WRONG_VALUES: list[Any] = [
    None, True, False, 1.5, -1, 0, 2**63, -(2**63), 10**30, "1", "", " ", "x" * 300, [], [1], {}, {"a": 1},
    "12abc", "\u0000", float("1e308"),
]  # fmt: skip

VALID: dict[str, dict[str, Any]] = {
    "send": {"type": "send", "room": 1, "body": "hi", "client_id": "c-1"},
    "resume": {"type": "resume", "rooms": {"1": 0}},
    "read": {"type": "read", "room": 1, "seq": 1},
    "typing": {"type": "typing", "room": 1},
}


def handmade_corpus() -> list[tuple[str, str | bytes]]:
    """(category, frame) pairs; text frames are str, binary frames bytes."""
    out: list[tuple[str, str | bytes]] = []
    # Invalid JSON, by hand and by truncating valid frames at every length.
    for text in [
        "", " ", "{", "}", "{]", "[}", "{'type': 'ping'}", '{"type": "ping"', '{"type": ping}', "nul", "tru",
        "01", "1e", "--1", '"unterminated', '{"a":1,}', "[1,]", "\\", "\ufeff{}", "{}{}",
        '{"type":"ping"}x', '{"type": "send", "room": 1, "body": "\\ud800\\udZZZ"}', "/* comment */ {}",
        "<xml/>", "GET / HTTP/1.1",
    ]:  # fmt: skip
        out.append(("invalid_json", text))
    for frame in VALID.values():
        text = json.dumps(frame)
        out.extend(("invalid_json", text[:cut]) for cut in range(1, len(text)))
    # Valid JSON that is not an object.
    out.extend(("not_object", json.dumps(v)) for v in [None, 1, "ping", [], [{"type": "ping"}], True, 1.5])
    # Unknown or missing types.
    for kind in [
        "", "PING", "Ping", " ping", "ping ", "sned", "hello", "ack", "message", "error", "admin",
        "__proto__", "constructor", "send\u0000", "résumé", "💬", "null", "undefined", "type", "x" * 1000,
    ]:  # fmt: skip
        out.append(("unknown_type", json.dumps({"type": kind})))
    for wrong in WRONG_VALUES:
        if not isinstance(wrong, str):
            out.append(("unknown_type", json.dumps({"type": wrong})))
    out.append(("unknown_type", json.dumps({"room": 1, "body": "no type"})))
    # Wrong types and out-of-range values, field by field.
    for frame in VALID.values():
        for field in [k for k in frame if k != "type"]:
            for wrong in WRONG_VALUES:
                if frame["type"] == "send" and field == "body" and isinstance(wrong, str) and wrong.strip():
                    continue  # a non-blank string is a valid body
                bad = {**frame, field: wrong}
                out.append(("wrong_type", json.dumps(bad)))
            missing = {k: v for k, v in frame.items() if k != field}
            out.append(("missing_field", json.dumps(missing)))
    out.append(("wrong_type", json.dumps({**VALID["send"], "body": "x" * 4001})))  # too long: too_large
    out.append(("wrong_type", json.dumps({**VALID["resume"], "rooms": {str(i): 0 for i in range(1001)}})))
    # Deep nesting, in the frame and inside fields.
    for depth in (50, 500, 5_000, 20_000, 30_000):
        out.append(("deep_nesting", "[" * depth + "]" * depth))
        out.append(("deep_nesting", '{"a":' * depth + "1" + "}" * depth))
        out.append(
            (
                "deep_nesting",
                '{"type":"send","room":1,"client_id":"c","body":' + "[" * depth + "]" * depth + "}",
            )
        )
    # Huge and special numbers.
    for number in [
        "1" * 5000,
        "-" + "9" * 4400,
        "1e999999",
        "-1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "1.0",
        "1e2",
    ]:
        out.append(("huge_number", f'{{"type":"read","room":{number},"seq":1}}'))
        out.append(("huge_number", f'{{"type":"read","room":1,"seq":{number}}}'))
    # Binary frames: random bytes and JSON sent as binary.
    rng = random.Random(5)
    for n in range(40):
        out.append(("binary", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200 + n)))))
    out.extend(("binary", json.dumps(frame).encode()) for frame in VALID.values())
    # Lone surrogates and odd escapes inside JSON strings (the frame itself is valid UTF-8).
    for esc in ["\\ud800", "\\udfff", "\\u0000", "\\uffff", "\\ud83d\\ude00\\ud800"]:
        out.append(("escapes", f'{{"type":"send","room":1,"client_id":"c{esc}","body":"x"}}'))
        out.append(("escapes", f'{{"type":"resume","rooms":{{"{esc}":1}}}}'))
        out.append(("escapes", f'{{"type":"send","room":1,"client_id":"c","body":"x{esc}"}}'))
        out.append(("escapes", f'{{"type":"{esc}"}}'))
    return out


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def hypothesis_corpus(n: int) -> list[tuple[str, str | bytes]]:
    """Frames Hypothesis makes up around the real frame shapes, keeping the ones the protocol refuses."""
    found: list[tuple[str, str | bytes]] = []

    @settings(max_examples=n, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        kind=st.sampled_from([*protocol.CLIENT_TYPES, "x"]),
        fields=st.dictionaries(
            st.sampled_from(["room", "body", "client_id", "seq", "rooms", "sender"]), json_values
        ),
    )
    def collect(kind: str, fields: dict[str, Any]) -> None:
        text = json.dumps({"type": kind, **fields})
        try:
            protocol.parse_client_frame(text)
        except protocol.FrameError:
            found.append(("hypothesis", text))

    collect()
    return found


def refused(frame: str | bytes) -> bool:
    """True when the protocol refuses the frame itself (some substitutions happen to be valid)."""
    if isinstance(frame, bytes):
        return True
    try:
        protocol.parse_client_frame(frame)
    except protocol.FrameError:
        return True
    return False


def corpus() -> list[tuple[str, str | bytes]]:
    # Escapes stay even when the frame parses: the service must refuse a lone surrogate body.
    handmade = [(c, f) for c, f in handmade_corpus() if c == "escapes" or refused(f)]
    return handmade + hypothesis_corpus(1000)


async def answer_batch(ws: Any, frames: list[str | bytes]) -> list[dict[str, Any]]:
    """Send the frames, then a ping; return the error frames that came before the pong."""
    for frame in frames:
        await ws.send(frame)
    await ws.send(json.dumps({"type": "ping"}))
    errors: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
        protocol.server_frame_adapter.validate_python(frame)
        if frame["type"] == "pong":
            return errors
        if frame["type"] == "error":
            errors.append(frame)


async def bystanders(srv: ServerProcess, stop: asyncio.Event) -> dict[str, Any]:
    """Two ordinary members chatting while the abuse goes on; what they saw."""
    a, b = guest(srv.url), guest(srv.url)
    room = a.create_room()
    b.join(room["id"])
    sa, sb = await a.socket(srv.url), await b.socket(srv.url)
    sent, latencies = 0, []
    while not stop.is_set() and sent < 2000:
        t0 = time.perf_counter()
        await sa.send(
            {"type": "send", "room": room["id"], "body": f"normal {sent}", "client_id": f"n-{sent}"}
        )
        frame = await sb.recv_type("message", timeout=10)
        latencies.append(time.perf_counter() - t0)
        assert frame["seq"] == sent + 1 and frame["message"]["body"] == f"normal {sent}"
        sent += 1
        await asyncio.sleep(1 / (RATE / 2))  # pacing: half the allowed rate (the workload, not a wait)
    await sa.close()
    await sb.close()
    return {"sent": sent, "p99_ms": round(1000 * sorted(latencies)[int(len(latencies) * 0.99)], 1)}


async def test_a_corpus_of_malformed_frames_each_gets_an_error_and_harms_no_one(
    server: ServerProcess,
) -> None:
    frames = corpus()
    assert len(frames) >= 1000
    users = [guest(server.url) for _ in range(3)]
    stop = asyncio.Event()
    watching = asyncio.get_running_loop().create_task(bystanders(server, stop))
    rss_before = rss_kib(server)
    answered = 0
    by_category: dict[str, int] = {}
    codes: dict[str, int] = {}
    started = time.monotonic()
    for start in range(0, len(frames), BATCH):
        batch = frames[start : start + BATCH]
        ws = await raw_socket(server, users[(start // BATCH) % len(users)])
        errors = await answer_batch(ws, [f for _c, f in batch])
        assert len(errors) == len(batch), [c for c, _f in batch]
        for (category, _frame), err in zip(batch, errors, strict=True):
            by_category[category] = by_category.get(category, 0) + 1
            codes[err["code"]] = codes.get(err["code"], 0) + 1
        answered += len(errors)
        await ws.close()
    stop.set()
    seen = await watching
    assert alive(server)
    assert seen["sent"] > 0
    figures(
        "malformed",
        frames=len(frames),
        errors=answered,
        by_category=by_category,
        codes=codes,
        seconds=round(time.monotonic() - started, 1),
        bystander_messages=seen["sent"],
        bystander_p99_ms=seen["p99_ms"],
        rss_kib_before=rss_before,
        rss_kib_after=rss_kib(server),
    )


async def test_invalid_utf8_and_abusive_peers_are_closed_by_the_protocol(server: ServerProcess) -> None:
    user = guest(server.url)
    closes = []
    for payload in [b"\xff\xfe", b'{"type":"ping","x":"\xc3\x28"}', b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]:
        ws = await raw_socket(server, user)
        await ws.send(payload, text=True)  # a text frame that is not UTF-8
        with pytest.raises(websockets.ConnectionClosed):
            for _ in range(10):
                await asyncio.wait_for(ws.recv(), 10)
        closes.append(ws.close_code)
    assert set(closes) == {1007}, closes  # "invalid frame payload data"
    ws = await raw_socket(server, user)
    for _ in range(60):  # more bad frames than the consumer accepts in a minute
        await ws.send("garbage")
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(100):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1008
    assert alive(server)


async def test_oversized_frames_are_refused_without_memory_growth(server: ServerProcess) -> None:
    user = guest(server.url)
    results: dict[str, list[Any]] = {}

    async def try_frame(label: str, size: int) -> None:
        ws = await raw_socket(server, user, max_size=2**20)
        frame = '{"type":"ping","pad":"' + "x" * (size - 24) + '"}'
        assert len(frame.encode()) == size
        try:
            await ws.send(frame)
            answer = await answer_to(ws, 15)
            results.setdefault(label, []).append(
                answer["code"] if answer["type"] == "error" else answer["type"]
            )
        except websockets.ConnectionClosed:
            results.setdefault(label, []).append(ws.close_code)
        await ws.close()

    sizes = {
        "64KiB+1": 64 * 1024 + 1,
        "1MiB": 1024 * 1024,
        "1MiB+1": 1024 * 1024 + 1,
        "10MiB": 10 * 1024 * 1024,
    }
    for label, size in sizes.items():  # warm up: first-use allocations are not growth
        await try_frame(label, size)
    sockets_before = await asyncio.to_thread(open_sockets, server)
    before = rss_kib(server)
    results.clear()
    for _ in range(10):
        for label, size in sizes.items():
            await try_frame(label, size)

    async def all_closed() -> bool:  # the server let go of every socket of the rounds
        return await asyncio.to_thread(open_sockets, server) <= sockets_before

    await wait_until_async(all_closed, timeout=15, interval=0.1)
    after = rss_kib(server)
    assert set(results["64KiB+1"]) == {"too_large"}
    assert set(results["1MiB"]) <= {"too_large", 1009}
    assert set(results["1MiB+1"]) == {1009}
    assert set(results["10MiB"]) == {1009}
    assert alive(server)
    # 10 rounds moved 120 MiB through the server; what stays must be far less than one frame of it.
    assert after - before < 16 * 1024, (before, after)
    figures(
        "oversized", results=results, rss_kib_before=before, rss_kib_after=after, growth_kib=after - before
    )


async def test_the_frame_limit_counts_bytes_not_characters(server: ServerProcess) -> None:
    user = guest(server.url)
    ws = await raw_socket(server, user)
    frame = '{"type":"ping","pad":"' + "€" * 30_000 + '"}'  # 30 k characters, 90 KB
    await ws.send(frame)
    answer = await answer_to(ws, 10)
    await ws.close()
    assert answer["type"] == "error" and answer["code"] == "too_large", answer


async def test_a_flood_at_ten_times_the_rate_is_throttled_and_others_lose_nothing(
    server: ServerProcess,
) -> None:
    """A member floods a shared room at 10x the send limit while others talk in it.

    The throttle is checked against a bound that follows from causality, not from timing:
    the server cannot have accepted more than the burst plus the refill over the time
    between the first flood frame leaving and the last answer arriving. The others' latency
    under the flood is a performance goal and lives in the benchmark (`python -m bench full
    --only flood`, docs/performance.md).
    """
    flooder = guest(server.url)
    users = [guest(server.url) for _ in range(3)]
    room = users[0].create_room()
    for user in [*users[1:], flooder]:
        user.join(room["id"])
    talker, listener = await users[1].socket(server.url), await users[0].socket(server.url)
    flood_ws = await raw_socket(server, flooder)
    answers: dict[str, int] = {}
    seen_by_listener: list[str] = []
    n_flood, n_talk = 10 * RATE * 3, 60  # 3 s of flooding; others send 20/s meanwhile

    async def read_flood_answers() -> float:
        while sum(answers.values()) < n_flood:
            frame = json.loads(await asyncio.wait_for(flood_ws.recv(), 15))
            if frame["type"] in ("ack", "error"):
                key = frame["type"] if frame["type"] == "ack" else "error:" + frame["code"]
                answers[key] = answers.get(key, 0) + 1
        return time.monotonic()

    async def flood() -> float:
        start = time.monotonic()
        for n in range(n_flood):
            frame = {"type": "send", "room": room["id"], "body": "flood", "client_id": f"f{n}"}
            await flood_ws.send(json.dumps(frame))
            # pacing: ten times the allowed rate, on a schedule (the workload, not a wait)
            await asyncio.sleep(max(0.0, start + (n + 1) / (10 * RATE) - time.monotonic()))
        return start

    async def talk() -> None:
        for n in range(n_talk):
            await talker.send({"type": "send", "room": room["id"], "body": f"talk {n}", "client_id": f"t{n}"})
            await asyncio.sleep(0.05)  # pacing: the others send 20/s (the workload, not a wait)

    async def listen() -> None:
        while len(seen_by_listener) < n_talk:
            frame = await listener.recv_type("message", timeout=15)
            if frame["message"]["body"].startswith("talk"):
                seen_by_listener.append(frame["message"]["body"])

    reader = asyncio.create_task(read_flood_answers())
    started, _, _ = await asyncio.gather(flood(), talk(), listen())
    finished = await reader
    await flood_ws.close()
    for sock in (talker, listener):
        await sock.close()
    accepted, refused = answers.get("ack", 0), answers.get("error:rate_limited", 0)
    window = finished - started
    figures("flood", sent=n_flood, accepted=accepted, refused=refused, window_s=round(window, 2),
            others_sent=n_talk, others_delivered=len(seen_by_listener))  # fmt: skip
    # every frame answered, and only with ack or rate_limited
    assert accepted + refused == n_flood, answers
    # throttled: at most the burst plus the refill over the window, at least the burst
    assert BURST <= accepted <= BURST + RATE * window + 1, (accepted, window)
    # the others lost nothing and kept their order
    assert seen_by_listener == [f"talk {n}" for n in range(n_talk)]
    # the flooder was refused, not disconnected: a client that retries too fast is not abusive
    assert alive(server)
    stored = [m["body"] for m in users[0].history(room["id"], after_seq=0, limit=100)]
    stored += [m["body"] for m in users[0].history(room["id"], after_seq=100, limit=100)]
    assert len(stored) == accepted + n_talk and stored.count("flood") == accepted


async def test_sockets_per_user_are_capped_with_4029(server: ServerProcess) -> None:
    user = guest(server.url)
    held = [await user.socket(server.url) for _ in range(MAX_SOCKETS)]
    extra = await websockets.connect(f"{server.ws_url}?token={user.token}", origin=Origin(server.url))
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(5):
            await asyncio.wait_for(extra.recv(), 10)
    assert extra.close_code == 4029
    await held[0].close()

    async def reopened() -> Any:
        try:
            return await user.socket(server.url)
        except websockets.ConnectionClosed:
            return None  # closed with 4029: the server has not let go of the slot yet

    again = await wait_until_async(
        reopened, timeout=10, interval=0.05, what="a freed slot to be usable again"
    )
    assert again.hello["type"] == "hello"
    for sock in [*held[1:], again]:
        await sock.close()


def handshake(srv: ServerProcess, token: str) -> socket.socket:
    """A raw TCP WebSocket client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", srv.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {srv.url}\r\n\r\n"
        ).encode()
    )
    sock.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


CLOSE_4008 = re.compile(rb"\x88[\x02-\x7d]\x0f\xa8")  # a close frame with code 4008


def peer_closed(sock: socket.socket, timeout: float) -> str | None:
    """Drain what the server sent: "4008" for a close frame, "eof"/"reset" for TCP; None if still open."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    tail = b""
    try:
        while time.monotonic() < deadline:
            data = sock.recv(1 << 20)
            if not data:
                return "eof"
            tail = tail[-8:] + data
            if CLOSE_4008.search(tail):
                return "4008"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except TimeoutError:
        return None
    return None


async def test_a_client_that_never_reads_is_cut_off_and_others_are_unaffected(server: ServerProcess) -> None:
    # Loopback TCP buffers absorb a few MiB, so send more than that: 20 senders x BURST frames of
    # 4000 four-byte characters (16 KB each), about 6.4 MB, every sender within its rate limit.
    users = [guest(server.url) for _ in range(23)]
    room = users[0].create_room()
    for user in users[1:]:
        user.join(room["id"])
    stuck = handshake(server, users[1].token)
    healthy = await users[2].socket(server.url)
    body = "\U0001f4ac" * 4000

    def send_all(sender: RemoteUser, n: int) -> None:
        # Over REST, so the senders hold no sockets that would themselves have to keep up.
        for i in range(BURST):
            r = sender.http.post(
                f"rooms/{room['id']}/messages", json={"body": body, "client_id": f"s{n}-{i}"}
            )
            assert r.status_code == 201, r.text

    reading = asyncio.get_running_loop().create_task(healthy.messages(20 * BURST, timeout=60))
    await asyncio.gather(*(asyncio.to_thread(send_all, u, n) for n, u in enumerate(users[3:])))
    total = 20 * BURST
    frames = await reading
    assert [f["seq"] for f in frames] == list(range(1, total + 1))
    how = await asyncio.to_thread(peer_closed, stuck, 10)
    assert how is not None, "the stuck socket was not closed"
    stuck.close()
    await healthy.close()
    assert alive(server)
    figures(
        "never-reads",
        closed_by=how,
        messages=total,
        frame_bytes=len(body.encode()) + 300,
        healthy_received=len(frames),
    )
