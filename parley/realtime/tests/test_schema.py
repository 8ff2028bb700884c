"""The committed JSON Schema of the frames is the one the protocol's models produce."""

from __future__ import annotations

import json
from pathlib import Path

from parley.realtime import protocol
from parley.realtime.schema import SCHEMA_PATH, main, protocol_schema, render


def test_the_committed_schema_is_current(tmp_path: Path) -> None:
    out = tmp_path / "protocol.schema.json"
    assert main([str(out)]) == 0
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        "run `make protocol` and commit docs/api/protocol.schema.json and the generated client types"
    )


def test_the_schema_names_every_frame_of_both_directions() -> None:
    schema = protocol_schema()
    assert schema["x-protocol-version"] == protocol.PROTOCOL_VERSION
    server = schema["$defs"]["ServerFrame"]["discriminator"]["mapping"]
    client = schema["$defs"]["ClientFrame"]["discriminator"]["mapping"]
    assert set(client) == set(protocol.CLIENT_TYPES)
    assert {"hello", "message", "ack", "gap", "error", "member.joined", "room.closed"} <= set(server)
    assert schema["$defs"]["HelloOut"]["properties"]["protocol"]["const"] == protocol.PROTOCOL_VERSION
    assert json.loads(render()) == schema
