"""Custom emoji over REST: who may add and remove them, what files and names are refused, the
pictures made small (animations kept), and reactions with `:name:`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from parley.testing.api import client_for, error_of, make_guest, make_user
from parley.uploads.tests.conftest import named, png, stored_files

pytestmark = pytest.mark.django_db


def gif(size: int, frames: int = 3) -> bytes:
    images = [Image.new("RGB", (size, size), c) for c in ("red", "lime", "blue", "white")[:frames]]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


@pytest.fixture
def staff() -> Any:
    user = make_user()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def add(client: Any, name: str, data: bytes, filename: str = "e.png") -> Any:
    return client.post("/api/v1/emoji", {"name": name, "file": named(data, filename)}, format="multipart")


def fetch(client: Any, url: str) -> Image.Image:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    image = Image.open(io.BytesIO(b"".join(r.streaming_content)))
    return image


def test_staff_add_list_and_remove_an_emoji(
    staff: Any, upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    s = client_for(staff)
    r = add(s, "party_parrot", png(512, 256))
    assert r.status_code == 201, r.content
    made = r.json()
    assert (made["name"], made["animated"], made["creator"]["id"]) == ("party_parrot", False, staff.pk)
    other = client_for(make_user())
    assert s.get("/api/v1/emoji").json()["can_add"] is True
    assert other.get("/api/v1/emoji").json()["can_add"] is False
    listed = other.get("/api/v1/emoji").json()["emoji"]
    assert [e["name"] for e in listed] == ["party_parrot"] and listed[0]["url"] == made["url"]
    assert fetch(other, made["url"]).size == (128, 64)  # made small
    assert client_for().get(made["url"]).status_code in (401, 403)
    assert other.delete("/api/v1/emoji/party_parrot").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # the file goes after commit
        assert s.delete("/api/v1/emoji/party_parrot").status_code == 204
    assert other.get("/api/v1/emoji").json()["emoji"] == []
    assert other.get(made["url"]).status_code == 404
    assert not [f for f in stored_files(upload_dir) if f.startswith("emoji/")]
    assert s.delete("/api/v1/emoji/party_parrot").status_code == 404


def test_an_animated_emoji_keeps_moving(staff: Any) -> None:
    s = client_for(staff)
    small = add(s, "blink", gif(64), "blink.gif").json()
    large = add(s, "big-blink", gif(300), "b.gif").json()
    assert small["animated"] and large["animated"]
    for made, size in ((small, (64, 64)), (large, (128, 128))):
        image = fetch(s, made["url"])
        assert (image.format, image.size, image.n_frames) == ("GIF", size, 3)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "e.png"),
        (b"GIF89a not really", "e.gif"),
        (b"plain text", "e.webp"),
    ],
)
def test_a_file_that_is_not_a_png_gif_or_webp_is_refused(staff: Any, data: bytes, filename: str) -> None:
    r = add(client_for(staff), "nope", data, filename)
    assert r.status_code == 400
    assert error_of(r)["code"] == "bad_emoji_file"


def test_a_jpeg_is_refused_whatever_its_name(staff: Any) -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    r = add(client_for(staff), "photo", out.getvalue(), "photo.png")
    assert (r.status_code, error_of(r)["code"]) == (400, "bad_emoji_file")


def test_too_big_and_duplicate_are_refused(staff: Any, settings: Any) -> None:
    s = client_for(staff)
    settings.CUSTOM_EMOJI_MAX_BYTES = 2_000
    big = png(400, 400) + b"\0" * 3_000
    r = add(s, "big", big)
    assert (r.status_code, error_of(r)["code"]) == (413, "file_too_large")
    settings.CUSTOM_EMOJI_MAX_BYTES = 256 * 1024
    assert add(s, "twice", png()).status_code == 201
    r = add(s, "twice", png())
    assert (r.status_code, error_of(r)["code"]) == (409, "emoji_taken")


@pytest.mark.parametrize("name", ["a", "x" * 33, "Caps", "with space", "dots.no", "émoji", ":colon:", ""])
def test_bad_names_are_refused(staff: Any, name: str) -> None:
    r = add(client_for(staff), name, png())
    assert r.status_code == 400
    assert "name" in error_of(r)["fields"]


def test_who_may_add_is_a_server_setting(staff: Any, settings: Any) -> None:
    member, guest = client_for(make_user()), client_for(make_guest())
    r = add(member, "mine", png())
    assert (r.status_code, error_of(r)["code"]) == (403, "emoji_not_allowed")
    settings.CUSTOM_EMOJI = "members"
    assert member.get("/api/v1/emoji").json()["can_add"] is True
    assert guest.get("/api/v1/emoji").json()["can_add"] is False
    assert add(member, "mine", png()).status_code == 201
    assert error_of(add(guest, "guests", png()))["code"] == "emoji_not_allowed"
    # The creator may remove their own; staff may remove anyone's.
    assert add(member, "mine2", png()).status_code == 201
    assert member.delete("/api/v1/emoji/mine").status_code == 204
    assert client_for(staff).delete("/api/v1/emoji/mine2").status_code == 204


def test_reactions_take_the_name_of_an_existing_custom_emoji(staff: Any) -> None:
    add(client_for(staff), "parley", png())
    owner, member = make_user(), make_user()
    o, m = client_for(owner), client_for(member)
    rid = o.post("/api/v1/rooms", {"name": f"emoji-{owner.pk}"}, format="json").json()["id"]
    m.post(f"/api/v1/rooms/{rid}/join")
    sent = o.post(f"/api/v1/rooms/{rid}/messages", {"body": "hello :parley:"}, format="json").json()
    assert sent["body"] == "hello :parley:"  # the text keeps the name (mail and push read it)
    r = m.post(f"/api/v1/messages/{sent['id']}/reactions/:parley:")
    assert r.status_code == 200, r.content
    assert [(x["emoji"], x["count"], x["me"]) for x in r.json()["reactions"]] == [(":parley:", 1, True)]
    r = m.post(f"/api/v1/messages/{sent['id']}/reactions/:nobody-made-this:")
    assert (r.status_code, error_of(r)["code"]) == (400, "unknown_emoji")
    r = m.post(f"/api/v1/messages/{sent['id']}/reactions/:{'x' * 32}:")
    assert error_of(r)["code"] == "unknown_emoji"
    history = m.get(f"/api/v1/rooms/{rid}/messages").json()["messages"]
    assert history[-1]["reactions"][0]["emoji"] == ":parley:"
    assert m.delete(f"/api/v1/messages/{sent['id']}/reactions/:parley:").json()["reactions"] == []


@pytest.mark.django_db(transaction=True)
async def test_a_custom_emoji_reaction_over_the_socket() -> None:
    """The socket's `react` takes `:name:` of an existing custom emoji (up to 32 letters in
    the name, so 34 characters) and refuses an unknown one with `unknown_emoji`."""
    from channels.db import database_sync_to_async as db
    from django.core.files.base import ContentFile

    from parley.messaging import services as messaging
    from parley.rooms import services as rooms
    from parley.testing.api import token_for
    from parley.testing.ws import WsClient
    from parley.uploads import services as uploads
    from parley.uploads.models import CustomEmoji

    long_name = "a" * 32

    @db
    def setup() -> tuple[int, int, str]:
        staff = make_user()
        staff.is_staff = True
        staff.save(update_fields=["is_staff"])
        uploads.emoji_create(actor=staff, name=long_name, file=ContentFile(png(), name="e.png"))
        member = make_user()
        room = rooms.room_create(owner=member, name=f"emoji-ws-{member.pk}")
        sent = messaging.message_send(sender=member, room_id=room.pk, body="react to me", client_id="m-1")
        return room.pk, sent.message.pk, token_for(member)

    _room, mid, token = await setup()
    assert await db(CustomEmoji.objects.count)() == 1
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    emoji = f":{long_name}:"
    await client.send({"type": "react", "message": mid, "emoji": emoji, "op": "add", "client_id": "r-1"})
    assert (await client.recv_type("done"))["message_id"] == mid
    frame = await client.recv_type("reaction")
    assert (frame["emoji"], frame["op"]) == (emoji, "add")
    await client.send({"type": "react", "message": mid, "emoji": ":nobody:", "op": "add", "client_id": "r-2"})
    err = await client.recv_type("error")
    assert (err["code"], err["ref"]) == ("unknown_emoji", "r-2")
    await client.close()
