"""The shapes the server sends, each declared once: REST answers and WebSocket frames alike.

A message, a user, an attachment... is named here and nowhere else. The frames in
`protocol.py` nest these models; the REST views answer with the same JSON (built by the
same function the frames use) and the OpenAPI schema refers to these models by name
(`parley.common.schema.ShapeField`, drf-spectacular's pydantic support), so
`docs/api/openapi.yaml`'s component and `protocol.schema.json`'s definition of a shape
are one JSON Schema and the web client gets one type for each.

The JSON itself is built by one plain function per shape in its app (`user_data`,
`attachment_data`, `message_data`, ...): once per event, encoded once for every
recipient, so no validation runs on the hot path. The test suite validates every frame
a socket receives, and every REST answer it checks, against these models
(`extra="forbid"`: an undeclared field is a schema bug).

Nothing of Parley is imported here (the realtime layer is below the apps).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


def _untitled(schema: dict[str, Any]) -> None:
    """Drop pydantic's per-field titles ("Client Id"): they name nothing, and a type
    generator would make a type of each."""
    for field in schema.get("properties", {}).values():
        field.pop("title", None)


class Shape(BaseModel):
    """A JSON object the server sends: every field declared, none coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_untitled)


# A moment, as DRF writes it: ISO 8601, "Z" for UTC.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class AttachmentOut(Shape):
    """An uploaded file: the upload answer (`POST rooms/{id}/uploads`) and each of a
    message's `attachments`."""

    id: int
    url: str = Field(description="Served only to members of the room (404 to anyone else).")
    name: str
    size: int = Field(description="Bytes.")
    content_type: str = Field(description="Sniffed from the content, not from the name.")
    width: int | None = Field(description="Images shown inline only; else null.")
    height: int | None
    thumbnail_url: str | None = Field(
        description="Null until the thumbnail is made (a `message.updated` follows) and for non-images."
    )
