"""The thumbnail job: upright by EXIF, first frame of an animation, huge images stay file cards,
and a thumbnail made after the send reaches clients as `message.updated`."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from parley.messaging.models import RoomEvent
from parley.realtime import protocol
from parley.uploads import files
from parley.uploads.models import Upload
from parley.uploads.tasks import upload_thumbnail
from parley.uploads.tests.conftest import png, upload

pytestmark = pytest.mark.django_db


def thumbnail_of(client: Any, upload_id: int) -> Image.Image:
    r = client.get(f"/api/v1/uploads/{upload_id}/thumbnail/t")
    assert r.status_code == 200
    image = Image.open(io.BytesIO(b"".join(r.streaming_content)))
    image.load()
    return image


def test_a_photo_turned_by_exif_is_thumbnailed_upright(room: dict[str, Any]) -> None:
    photo = Image.new("RGB", (60, 30), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    photo.save(out, format="JPEG", exif=exif.tobytes())
    made = upload(room["m"], room["rid"], out.getvalue(), "phone.jpg").json()
    assert made["content_type"] == "image/jpeg"
    assert upload_thumbnail.delay(made["id"]).get() is True
    assert thumbnail_of(room["m"], made["id"]).size == (30, 60)


def test_an_animated_gif_gives_its_first_frame(room: dict[str, Any]) -> None:
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "lime", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    made = upload(room["m"], room["rid"], out.getvalue(), "party.gif").json()
    assert (made["content_type"], made["width"]) == ("image/gif", 20)
    assert upload_thumbnail.delay(made["id"]).get() is True
    r, g, b = thumbnail_of(room["m"], made["id"]).convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_a_large_image_is_shrunk_into_the_box(room: dict[str, Any]) -> None:
    made = upload(room["m"], room["rid"], png(2000, 1000), "wide.png").json()
    assert upload_thumbnail.delay(made["id"]).get() is True
    assert thumbnail_of(room["m"], made["id"]).size == (480, 240)


def test_too_many_pixels_keeps_the_upload_a_file_card(room: dict[str, Any], settings: Any) -> None:
    settings.UPLOAD_MAX_PIXELS = 100 * 100
    made = upload(room["m"], room["rid"], png(200, 200), "bomb.png").json()
    assert (made["content_type"], made["width"], made["height"]) == ("image/png", None, None)
    assert upload_thumbnail.delay(made["id"]).get() is False
    assert room["m"].get(made["url"])["Content-Disposition"].startswith("attachment")


def test_a_broken_image_gets_no_thumbnail_and_no_crash(room: dict[str, Any]) -> None:
    broken = png(50, 50)[:60]  # a valid header, then nothing
    made = upload(room["m"], room["rid"], broken, "cut.png").json()
    assert made["content_type"] == "image/png"
    assert upload_thumbnail.delay(made["id"]).get() is False
    assert Upload.objects.get(pk=made["id"]).thumbnail_name == ""


def test_a_thumbnail_made_after_the_send_is_published_as_message_updated(room: dict[str, Any]) -> None:
    made = upload(room["m"], room["rid"], png(), "later.png").json()
    msg = (
        room["m"]
        .post(
            f"/api/v1/rooms/{room['rid']}/messages", {"body": "", "attachments": [made["id"]]}, format="json"
        )
        .json()
    )
    assert msg["attachments"][0]["thumbnail_url"] is None
    assert upload_thumbnail.delay(made["id"]).get() is True
    event = RoomEvent.objects.get(room_id=room["rid"], kind="message.updated")
    frame = json.loads(event.frame)
    protocol.server_frame_adapter.validate_python(frame)
    assert event.seq == msg["seq"] + 1 and frame["message"]["id"] == msg["id"]
    url = frame["message"]["attachments"][0]["thumbnail_url"]
    assert url == f"/api/v1/uploads/{made['id']}/thumbnail/later.png"
    page = room["o"].get(f"/api/v1/rooms/{room['rid']}/messages").json()
    assert page["messages"][-1]["attachments"][0]["thumbnail_url"] == url
    assert upload_thumbnail.delay(made["id"]).get() is False  # once only
    assert RoomEvent.objects.filter(kind="message.updated").count() == 1


def test_sniffing_needs_no_name() -> None:
    assert files.sniff(png()) == "image/png"
    assert files.sniff(b"\xef\xbb\xbf<!doctype html><p>hi") == "text/html"
    assert files.sniff(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>") == "image/svg+xml"
    assert files.sniff("caf\u00e9".encode()[:4]) == "text/plain"  # cut inside a character
    assert files.sniff(b"%PDF-1.7\n") == "application/pdf"
