"""Bots are not members (issue 27): a bot answering a command or posting for a webhook writes
in the room from a seat of its own, but it is neither listed nor counted among the room's
people, and nobody hears it "join". Commands, answers and webhook posts keep working."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def _setup() -> dict[str, Any]:
    owner, alice = make_user("nm-own"), make_user("nm-alice")
    room = rooms.room_create(owner=owner, name="nm-room", visibility="public")
    rooms.member_add(room_id=room.pk, actor=owner, username="nm-alice")
    return {"room": room.pk, "owner": owner, "alice": alice, "token": token_for(alice)}


@db
def _people(user: Any, room: int) -> tuple[int, int, list[str], int]:
    """What a person sees: the room's count (detail and lobby), the member list."""
    api = client_for(user)
    detail = api.get(f"/api/v1/rooms/{room}").json()
    lobby = next(r for r in api.get("/api/v1/rooms").json() if r["id"] == room)
    members = api.get(f"/api/v1/rooms/{room}/members").json()["members"]
    return (
        detail["member_count"],
        lobby["member_count"],
        [m["user"]["username"] for m in members],
        len(members),
    )


@db
def _bots(user: Any, room: int) -> list[str]:
    """The room's bots, listed apart from its people (so the owner can still remove one)."""
    listed = client_for(user).get(f"/api/v1/rooms/{room}/members").json()["bots"]
    return sorted(b["user"]["display_name"] for b in listed)


@db
def _webhook_post(owner: Any, room: int, body: str) -> int:
    hook = client_for(owner).post(f"/api/v1/rooms/{room}/webhooks", {"name": "CI"}, format="json")
    assert hook.status_code == 201
    return client_for().post(hook.json()["url"], {"body": body}, format="json").status_code  # type: ignore[no-any-return]


async def test_a_bot_answering_a_command_or_a_webhook_is_not_a_member_people_see() -> None:
    s = await _setup()
    before = await _people(s["owner"], s["room"])
    assert before == (2, 2, ["nm-own", "nm-alice"], 2)
    alice = WsClient(s["token"])
    assert (await alice.connect())[0]

    await alice.send({"type": "send", "room": s["room"], "body": "/roll 2d6", "client_id": "r-1"})
    await alice.recv_type("ack")
    await alice.recv_type("message")  # the command as sent
    answer = await alice.recv_type("message", timeout=10)
    assert answer["message"]["sender"]["is_bot"] is True

    assert await _webhook_post(s["owner"], s["room"], "build passed") == 201
    assert (await alice.recv_type("message"))["message"]["body"] == "build passed"

    # Two bots wrote; the room still has its two people, and nobody heard a bot join.
    assert await _people(s["owner"], s["room"]) == before
    assert await _bots(s["owner"], s["room"]) == ["CI", "Dice"]
    await alice.nothing(ignore=("presence", "ping", "room.updated"))
    assert not [f for f in alice.seen if f["type"] == "member.joined"]
    assert not [f for f in alice.seen if f["type"] == "room.updated" and f["room"]["member_count"] != 2]
    # And the bot answers again in a room it already has a seat in.
    await alice.send({"type": "send", "room": s["room"], "body": "/roll d4", "client_id": "r-2"})
    await alice.recv_type("ack")
    await alice.recv_type("message")
    assert (await alice.recv_type("message", timeout=10))["message"]["sender"]["is_bot"] is True
    await alice.close()
