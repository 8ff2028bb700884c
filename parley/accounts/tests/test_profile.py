"""Your own profile (issue 17): the main room, editing the profile, uploading a picture,
deleting the account both ways, downloading your data; `user.updated` reaches others live."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from PIL import Image
from rest_framework.test import APIClient

from parley.accounts.models import AuthToken, User
from parley.messaging.models import Message
from parley.messaging.services import message_send, reaction_toggle
from parley.rooms.models import Membership, Room
from parley.rooms.services import SYSTEM_USERNAME, main_room
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = pytest.mark.django_db


# --- the main room ---------------------------------------------------------------------------


def test_a_new_account_and_a_guest_land_in_the_main_room() -> None:
    r = APIClient().post("/api/v1/auth/register", {"username": "newbie", "password": PASSWORD}, format="json")
    assert r.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    joined = client.get("/api/v1/rooms", {"joined": "true"}).json()
    assert [room["name"] for room in joined] == ["general"]
    assert joined[0]["visibility"] == "public" and joined[0]["owner"]["username"] == SYSTEM_USERNAME
    # No topic in one language for readers of four: each client says "No topic" in its own.
    assert joined[0]["topic"] == ""

    guest = APIClient().post("/api/v1/auth/guest", {"nickname": "Visitor"}, format="json")
    assert guest.status_code == 201
    gclient = APIClient()
    gclient.credentials(HTTP_AUTHORIZATION=f"Token {guest.json()['token']}")
    assert [room["name"] for room in gclient.get("/api/v1/rooms", {"joined": "true"}).json()] == ["general"]
    assert Room.objects.filter(name__iexact="general").count() == 1


def test_the_system_owner_cannot_sign_in() -> None:
    main_room()
    system = User.objects.get(username=SYSTEM_USERNAME)
    assert not system.is_active and not system.has_usable_password()
    r = APIClient().post("/api/v1/auth/login", {"username": SYSTEM_USERNAME, "password": ""}, format="json")
    assert r.status_code == 400


def test_closing_the_main_room_needs_staff_and_leaving_it_is_allowed() -> None:
    user = make_user("regular")
    room = main_room()
    assert room is not None
    r = client_for(user).delete(f"/api/v1/rooms/{room.pk}")
    assert r.status_code == 403
    assert client_for(user).post(f"/api/v1/rooms/{room.pk}/leave").status_code == 200
    assert not Membership.objects.filter(room=room, user=user).exists()
    staff = make_user("moderator")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    assert client_for(User.objects.get(pk=staff.pk)).delete(f"/api/v1/rooms/{room.pk}").status_code == 204


@pytest.mark.parametrize("name", ["", "  "])
def test_no_main_room_when_the_setting_is_empty(settings, name: str) -> None:  # type: ignore[no-untyped-def]
    settings.PARLEY_MAIN_ROOM = name
    user = make_user("loner")
    assert not Membership.objects.filter(user=user).exists()


# --- editing the profile ------------------------------------------------------------------


def test_profile_edits_are_saved_and_validated() -> None:
    user = make_user("editor")
    client = client_for(user)
    r = client.patch(
        "/api/v1/me",
        {"display_name": "  Ed  Itor ", "avatar": "owl", "language": "ko", "time_zone": "Asia/Seoul"},
        format="json",
    )
    assert r.status_code == 200, r.content
    me = r.json()["user"]
    assert me["display_name"] == "Ed Itor" and me["avatar"].endswith("/owl.svg")
    assert me["language"] == "ko" and me["time_zone"] == "Asia/Seoul"
    assert client.get("/api/v1/me").json()["user"]["time_zone"] == "Asia/Seoul"

    make_user("taken")
    make_guest("Nick Name")
    for body, field in [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 41}, "display_name"),
        ({"display_name": "Taken"}, "display_name"),
        ({"display_name": "nick name"}, "display_name"),
        ({"display_name": "guest-abc"}, "display_name"),
        ({"display_name": "a\u202eb"}, "display_name"),
        ({"avatar": "dragon"}, "avatar"),
        ({"language": "fr"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ]:
        r = client.patch("/api/v1/me", body, format="json")
        assert r.status_code == 400, body
        assert field in error_of(r)["fields"], body
    user.refresh_from_db()
    assert (user.display_name, user.language, user.time_zone) == ("Ed Itor", "ko", "Asia/Seoul")


def _picture(fmt: str, size: tuple[int, int] = (300, 200)) -> io.BytesIO:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    img.save(buf, format=fmt, **({"exif": exif} if fmt == "JPEG" else {}))
    buf.seek(0)
    buf.name = f"pic.{fmt.lower()}"
    return buf


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_uploaded_picture_becomes_a_square_avatar_without_metadata(  # type: ignore[no-untyped-def]
    settings, tmp_path, django_capture_on_commit_callbacks, fmt: str
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    client = client_for(make_user())
    r = client.post("/api/v1/me/avatar", {"file": _picture(fmt)}, format="multipart")
    assert r.status_code == 200, r.content
    url = r.json()["user"]["avatar"]
    assert url.startswith("/api/v1/avatars/") and url.endswith(".png")
    served = APIClient().get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    data = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (256, 256)
        assert not img.getexif()
    assert b"SecretCam" not in data
    # Choosing a bundled avatar again removes the file (after commit).
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch("/api/v1/me", {"avatar": "fox"}, format="json").status_code == 200
    assert not list(tmp_path.glob("avatars/*.png"))


def test_a_non_picture_is_400_and_a_huge_one_413(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    user = make_user()
    client = client_for(user)
    fake = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    fake.name = "x.png"
    r = client.post("/api/v1/me/avatar", {"file": fake}, format="multipart")
    assert r.status_code == 400 and "file" in error_of(r)["fields"]
    settings.AVATAR_UPLOAD_MAX_BYTES = 1000
    r = client.post("/api/v1/me/avatar", {"file": _picture("PNG", (600, 600))}, format="multipart")
    assert r.status_code == 413 and error_of(r)["code"] == "too_large"
    user.refresh_from_db()
    assert not user.avatar.startswith("img:")
    assert not list(tmp_path.glob("avatars/*"))


# --- deleting the account -----------------------------------------------------------------


def _room_with(owner_name: str, *others: User, name: str = "") -> Room:
    from parley.rooms import services as rooms

    owner = User.objects.get(username=owner_name)
    room = rooms.room_create(owner=owner, name=name or f"{owner_name}-room")
    for other in others:
        rooms.room_join(room_id=room.pk, user=other)
    return room


def test_deleting_the_account_keeps_messages_under_deleted_user_and_hands_rooms_over() -> None:
    leaver, first, second = make_user("leaver"), make_user("first"), make_user("second")
    owned = _room_with("leaver", first, second)
    lonely = _room_with("leaver", name="lonely")
    message_send(sender=leaver, room_id=owned.pk, body="my words", client_id="w1")
    token = token_for(leaver)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    r = client.delete("/api/v1/me", {"messages": "keep", "password": "wrong"}, format="json")
    assert r.status_code == 400 and "password" in error_of(r)["fields"]
    r = client.delete("/api/v1/me", {"messages": "keep", "password": PASSWORD}, format="json")
    assert r.status_code == 204

    assert client.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=leaver).exists()
    gone = User.objects.get(pk=leaver.pk)
    assert not gone.is_active and gone.deleted_at is not None and gone.email == ""
    assert gone.shown_name == "Deleted user" and not gone.has_usable_password()
    owned.refresh_from_db()
    lonely.refresh_from_db()
    assert owned.owner_id == first.pk and not owned.closed  # the longest-standing member
    assert lonely.closed
    history = client_for(second).get(f"/api/v1/rooms/{owned.pk}/messages").json()["messages"]
    assert [(m["body"], m["sender"]["display_name"]) for m in history] == [("my words", "Deleted user")]
    # The name is free again.
    r = APIClient().post("/api/v1/auth/register", {"username": "leaver", "password": PASSWORD}, format="json")
    assert r.status_code == 201


def test_deleting_the_account_can_delete_the_messages_as_tombstones() -> None:
    leaver, other = make_user("eraser"), make_user("witness")
    room = _room_with("witness", leaver)
    message_send(sender=leaver, room_id=room.pk, body="erase me", client_id="e1")
    message_send(sender=other, room_id=room.pk, body="stays", client_id="s1")
    r = client_for(leaver).delete("/api/v1/me", {"messages": "delete", "password": PASSWORD}, format="json")
    assert r.status_code == 204
    history = client_for(other).get(f"/api/v1/rooms/{room.pk}/messages").json()["messages"]
    assert [(m["body"], m["deleted"]) for m in history] == [("", True), ("stays", False)]
    assert not Message.objects.filter(body="erase me").exists()
    events = client_for(other).get(f"/api/v1/rooms/{room.pk}/events", {"after_seq": 0}).json()
    assert "erase me" not in json.dumps(events)


@pytest.mark.parametrize("messages", ["keep", "delete"])
def test_a_deleted_account_leaves_no_name_on_the_threads_it_replied_in(messages: str) -> None:
    leaver, other = make_user("replier"), make_user("asker")
    room = _room_with("asker", leaver)
    root = message_send(sender=other, room_id=room.pk, body="question", client_id="q1").message
    message_send(sender=leaver, room_id=room.pk, body="answer", client_id="a1", thread=root.pk)
    message_send(sender=other, room_id=room.pk, body="thanks", client_id="t1", thread=root.pk)
    asker = client_for(other)

    def participants() -> list[dict[str, Any]]:
        thread = asker.get(f"/api/v1/messages/{root.pk}/thread").json()
        return thread["root"]["thread_summary"]["participants"]  # type: ignore[no-any-return]

    assert [p["username"] for p in participants()] == ["asker", "replier"]
    r = client_for(leaver).delete("/api/v1/me", {"messages": messages, "password": PASSWORD}, format="json")
    assert r.status_code == 204
    shown = participants()
    assert [(p["id"], p["display_name"]) for p in shown] == [
        (other.pk, other.shown_name),
        (leaver.pk, "Deleted user"),
    ]
    assert "replier" not in json.dumps(shown)


def test_a_guest_deletes_without_a_password() -> None:
    guest = make_guest("Shortstay")
    r = client_for(guest).delete("/api/v1/me", {"messages": "keep"}, format="json")
    assert r.status_code == 204
    assert not User.objects.get(pk=guest.pk).is_active


def test_delete_needs_a_valid_choice() -> None:
    r = client_for(make_user()).delete(
        "/api/v1/me", {"messages": "shred", "password": PASSWORD}, format="json"
    )
    assert r.status_code == 400 and "messages" in error_of(r)["fields"]


# --- downloading your data ----------------------------------------------------------------


def test_export_holds_profile_memberships_messages_and_reactions() -> None:
    user, other = make_user("exporter"), make_user("bystander")
    room = _room_with("bystander", user)
    mine = message_send(sender=user, room_id=room.pk, body="mine", client_id="m1").message
    message_send(sender=other, room_id=room.pk, body="not mine", client_id="n1")
    reaction_toggle(actor=user, message_id=mine.pk, emoji="👍", op="add")
    assert client_for(user).post(f"/api/v1/messages/{mine.pk}/save").status_code == 200
    r = client_for(user).get("/api/v1/me/export")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    data = json.loads(b"".join(r.streaming_content))  # type: ignore[attr-defined]
    assert data["profile"]["username"] == "exporter"
    assert {m["room_name"] for m in data["memberships"]} == {"general", "bystander-room"}
    assert [(m["body"], m["room_name"]) for m in data["messages"]] == [("mine", "bystander-room")]
    assert [(x["emoji"], x["message"]) for x in data["reactions"]] == [("👍", mine.pk)]
    assert [x["message"] for x in data["saved"]] == [mine.pk]
    assert APIClient().get("/api/v1/me/export").status_code == 401


def test_a_removed_members_export_does_not_show_a_private_rooms_later_name() -> None:
    owner, user = make_user("keeper"), make_user("leaver")
    client_for(owner).post("/api/v1/rooms", {"name": "plans", "visibility": "private"}, format="json")
    room = Room.objects.get(name="plans")
    assert (
        client_for(owner)
        .post(f"/api/v1/rooms/{room.pk}/members", {"username": "leaver"}, format="json")
        .status_code
        == 201
    )
    mine = message_send(sender=user, room_id=room.pk, body="my idea", client_id="i1").message
    reaction_toggle(actor=user, message_id=mine.pk, emoji="👍", op="add")
    assert client_for(owner).delete(f"/api/v1/rooms/{room.pk}/members/{user.pk}").status_code in (200, 204)
    renamed = client_for(owner).patch(f"/api/v1/rooms/{room.pk}", {"name": "merger with acme"}, format="json")
    assert renamed.status_code == 200
    r = client_for(user).get("/api/v1/me/export")
    text = b"".join(r.streaming_content).decode()  # type: ignore[attr-defined]
    assert "merger with acme" not in text
    data = json.loads(text)
    assert [(m["body"], m["room"], m["room_name"]) for m in data["messages"]] == [("my idea", room.pk, None)]
    assert [x["room_name"] for x in data["reactions"]] == [None]
    assert room.pk not in [m["room"] for m in data["memberships"]]


# --- live: user.updated -------------------------------------------------------------------

db = database_sync_to_async


@pytest.mark.django_db(transaction=True)
async def test_a_name_change_reaches_another_member_live() -> None:
    alice, bob = await db(make_user)("alice17"), await db(make_user)("bob17")
    ws = WsClient(await db(token_for)(bob))
    await ws.connect()
    r = await db(lambda: client_for(alice).patch("/api/v1/me", {"display_name": "Alice A."}, format="json"))()
    assert r.status_code == 200
    frame = await ws.recv_type("user.updated")
    assert frame["user"]["id"] == alice.pk and frame["user"]["display_name"] == "Alice A."
    await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_joining_by_invite_emits_the_member_frames() -> None:
    owner, joiner = await db(make_user)("owner17"), await db(make_user)("joiner17")

    def setup() -> tuple[int, str]:
        from parley.rooms import invites
        from parley.rooms import services as rooms

        room = rooms.room_create(owner=owner, name="inv-live", visibility="private")
        return room.pk, invites.invite_create(room_id=room.pk, actor=owner).token

    room_id, token = await db(setup)()
    ws = WsClient(await db(token_for)(owner))
    await ws.connect()
    r = await db(lambda: client_for(joiner).post(f"/api/v1/invites/{token}/accept"))()
    assert r.status_code == 200
    frame = await ws.recv_type("member.joined")
    assert frame["room"] == room_id and frame["user"]["id"] == joiner.pk and frame["member_count"] == 2
    await ws.close()
