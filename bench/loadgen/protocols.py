"""How each server under test spells `send` (the receive side is the same for
all: the generator finds the body marker in the raw frame text)."""

from __future__ import annotations

import json
import re

# body = "p<phase>:<sender>:<n>:<monotonic_ns>:" + padding (only [0-9a-z:], so no JSON
# no JSON escaping; found with one regex, no json.loads per delivery)
MARK = re.compile(r'"p(\d+):(\d+):(\d+):(\d+):')

# In mixed workloads an edit's marked body counts as sender sid + EDIT_SID: its deliveries
# are checked for loss like messages, and its REST round trip is not taken for a reordered
# WebSocket send of the same sender.
EDIT_SID = 100_000


def send_frame(proto: str, room, body: str, client_id: str, thread: int | None = None) -> str:
    """`thread` (Parley only, protocol 3): send it as a reply in that thread."""
    if proto == "parley":
        frame = {"type": "send", "room": room, "body": body, "client_id": client_id}
        if thread is not None:
            frame["thread"] = thread
        return json.dumps(frame)
    if proto == "matrix":  # the event's content, and the txn id its PUT goes under (bench/loadgen/matrix.py)
        return json.dumps({"msgtype": "m.text", "body": body, "txn": client_id})
    if proto == "socketio":  # a Socket.IO v5 EVENT packet in an Engine.IO v4 MESSAGE
        return "42" + json.dumps(["msg", {"message": body}])
    return json.dumps({"message": body})  # baseline (seed consumer) and bare relay
