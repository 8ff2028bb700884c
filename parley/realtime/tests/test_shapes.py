"""Each shape the server sends is declared once: REST's schema and the frames' are one.

`docs/api/openapi.yaml` (REST) and `docs/api/protocol.schema.json` (frames) are both
generated; a shape both of them carry must be the same JSON Schema under the same name,
and no other definition in either may repeat its fields under another name (a second
declaration of a message, a user... that a client would get as a second type).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from parley.realtime.protocol import COMPACT_OF
from parley.realtime.schema import SCHEMA_PATH, SHARED, protocol_schema, shared_shapes

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.yaml"


def _components() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))["components"]["schemas"]  # type: ignore[no-any-return]


def _frame_defs() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]  # type: ignore[no-any-return]


def _as_component(definition: dict[str, Any]) -> Any:
    """A frame definition with its references written as OpenAPI's, the marker dropped."""
    text = json.dumps({k: v for k, v in definition.items() if k != SHARED})
    return json.loads(text.replace('"#/$defs/', '"#/components/schemas/'))


def test_every_shared_shape_is_one_schema_in_rest_and_in_frames() -> None:
    components, defs = _components(), _frame_defs()
    shared = shared_shapes()
    assert {"AttachmentOut"} <= shared
    for name in sorted(shared):
        assert name in components, f"{name} is declared as a shape but no REST answer uses it"
        if name in defs:
            assert defs[name][SHARED] == f"#/components/schemas/{name}"
            assert _as_component(defs[name]) == components[name], f"{name} differs between REST and frames"
    marked = {name for name, d in defs.items() if SHARED in d}
    assert marked == shared & defs.keys()


def _fields(definition: dict[str, Any]) -> frozenset[str]:
    return frozenset(definition.get("properties", {}))


def test_no_shape_is_declared_twice_under_another_name() -> None:
    """Two definitions with the same fields are one shape written twice (REST's `User` and
    the frames' `UserOut` were): the client would get two types for one thing."""
    by_fields: dict[frozenset[str], set[str]] = {}
    for source in (_components(), _frame_defs()):
        for name, definition in source.items():
            if COMPACT_OF in definition:  # a shape's compact form: declared as such, below
                continue
            fields = _fields(definition)
            if len(fields) >= 3 and "type" not in fields:  # frames differ by `type`; tiny objects say little
                by_fields.setdefault(fields, set()).add(name)
    twice = {tuple(sorted(names)) for names in by_fields.values() if len(names) > 1}
    assert not twice, f"one shape declared under several names: {sorted(twice)}"


def test_a_name_in_both_schemas_is_a_shared_shape() -> None:
    """REST and frames may only share a name through `shapes.py` (else it is the same name
    declared twice, with nothing keeping the two equal)."""
    components, defs = _components(), _frame_defs()
    both = components.keys() & defs.keys()
    assert both == shared_shapes() & defs.keys(), sorted(both ^ (shared_shapes() & defs.keys()))


def test_a_compact_form_has_the_fields_of_the_shape_it_abbreviates() -> None:
    """The compact form (issue 34) is the same shape with fields that may be absent: the same
    field names, and only fields with a default or a stated meaning may be left out."""
    defs = protocol_schema()["$defs"]
    compact = {name: d for name, d in defs.items() if COMPACT_OF in d}
    assert {"MessageCompactOut", "UserCompactOut", "MessageCompactFrame"} <= compact.keys()
    for name, definition in compact.items():
        full = defs[definition[COMPACT_OF].removeprefix("#/$defs/")]
        assert _fields(definition) == _fields(full), name
        for field in set(full["required"]) - set(definition.get("required", [])):
            spec = definition["properties"][field]
            assert "default" in spec or spec.get("description", "").startswith("Absent: "), (name, field)
