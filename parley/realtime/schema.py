"""The JSON Schema of every WebSocket frame, written from the pydantic models in `protocol.py`.

`python -m parley.realtime.schema` writes `docs/api/protocol.schema.json` (or the path
given); the web client's frame types are generated from that file (`make protocol`), and
a test fails when the committed file differs from what this module writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from parley.realtime import shapes
from parley.realtime.protocol import PROTOCOL_VERSION, ClientFrame, CompactServerFrame, ServerFrame

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "api" / "protocol.schema.json"
_REF = "#/$defs/{model}"
# Marks a definition that is also the REST schema's component of the same name (a shape of
# `shapes.py`): the client's generator then emits one type for both.
SHARED = "x-openapi-component"


def shared_shapes() -> set[str]:
    """The names of the shapes REST and frames share (every model `shapes.py` declares)."""
    return {
        name
        for name, value in vars(shapes).items()
        if isinstance(value, type)
        and issubclass(value, shapes.Shape)
        and value is not shapes.Shape
        and value.__module__ == shapes.__name__
    }


def _frames(name: str, frame_type: Any, description: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One union's schema, its models moved to the shared `$defs`."""
    schema = TypeAdapter(frame_type).json_schema(ref_template=_REF)
    defs = schema.pop("$defs")
    schema["title"] = name
    schema["description"] = description
    return schema, defs


def protocol_schema() -> dict[str, Any]:
    """Server and client frames as one JSON Schema document; its root is either union."""
    server, server_defs = _frames("ServerFrame", ServerFrame, "A frame the server sends.")
    client, client_defs = _frames("ClientFrame", ClientFrame, "A frame the client sends.")
    compact, compact_defs = _frames(
        "CompactServerFrame",
        CompactServerFrame,
        "A message frame in the compact form, sent instead of the full one to a socket opened "
        'with `?wire=compact` (docs/protocol.md, "Compact frames").',
    )
    defs: dict[str, Any] = {}
    for name, definition in [*server_defs.items(), *client_defs.items(), *compact_defs.items()]:
        for field in definition.get("properties", {}).values():
            field.pop("title", None)  # "Client Id" names nothing; a generator would make a type of it
        if name in defs and defs[name] != definition:
            raise ValueError(f"two different frame models are both named {name!r}")
        defs[name] = definition
    for name in shared_shapes() & defs.keys():
        defs[name][SHARED] = f"#/components/schemas/{name}"
    defs["ServerFrame"] = server
    defs["ClientFrame"] = client
    defs["CompactServerFrame"] = compact
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ParleyFrame",
        "description": f"Every WebSocket frame of Parley protocol {PROTOCOL_VERSION}.",
        "x-protocol-version": PROTOCOL_VERSION,
        "anyOf": [
            {"$ref": _REF.format(model=name)} for name in ("ServerFrame", "ClientFrame", "CompactServerFrame")
        ],
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(protocol_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else SCHEMA_PATH
    out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
