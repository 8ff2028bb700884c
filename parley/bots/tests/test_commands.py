"""Slash commands over the socket and REST: built-ins, bots' answers, unknown commands."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.rooms.models import Membership, Room
from parley.testing.api import client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def setup_room(visibility: str = "public") -> dict[str, Any]:
    owner, alice = make_user("cmd-own"), make_user("cmd-alice")
    room = rooms.room_create(owner=owner, name="cmds", visibility=visibility)
    rooms.member_add(room_id=room.pk, actor=owner, username="cmd-alice")
    return {"room": room.pk, "owner": owner, "alice": alice, "tokens": [token_for(owner), token_for(alice)]}


async def connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


def send(room: int, body: str, cid: str) -> dict[str, Any]:
    return {"type": "send", "room": room, "body": body, "client_id": cid}


@db
def stored(room: int) -> list[tuple[str, str]]:
    return list(Message.objects.filter(room_id=room).order_by("seq").values_list("sender__username", "body"))


async def test_roll_is_answered_by_the_dice_bot_as_a_reply_to_the_command() -> None:
    s = await setup_room()
    own, alice = [await connected(t) for t in s["tokens"]]
    await alice.send(send(s["room"], "/roll 2d6", "r-1"))
    ack = await alice.recv_type("ack")
    asked = await own.recv_type("message")
    assert asked["message"]["id"] == ack["id"] and asked["message"]["body"] == "/roll 2d6"
    answer = await own.recv_type("message", timeout=5)
    bot = answer["message"]["sender"]
    assert bot["is_bot"] is True and bot["username"] == "dice" and bot["display_name"] == "Dice"
    assert answer["message"]["reply_to"]["id"] == ack["id"]
    body = answer["message"]["body"]
    assert body.startswith("🎲 cmd-alice rolled 2d6: ")
    a, _plus, b, _eq, total = body.split(": ")[1].split()
    assert 1 <= int(a) <= 6 and 1 <= int(b) <= 6 and int(total) == int(a) + int(b)
    assert asked["message"]["sender"]["is_bot"] is False
    for c in (own, alice):
        await c.close()


async def test_unknown_command_is_a_notice_to_the_sender_only_and_nothing_is_stored() -> None:
    s = await setup_room()
    own, alice = [await connected(t) for t in s["tokens"]]
    await alice.send(send(s["room"], "/frobnicate now", "u-1"))
    notice = await alice.recv_type("notice")
    assert notice == {
        "type": "notice",
        "room": s["room"],
        "text": "Unknown command /frobnicate. Type /help to see this room's commands.",
        "level": "error",
        "ref": "u-1",
    }
    await own.nothing(0.5)
    await alice.nothing(0.2)
    assert await stored(s["room"]) == []
    for c in (own, alice):
        await c.close()


async def test_help_lists_builtins_and_bots_commands() -> None:
    s = await setup_room()
    alice = await connected(s["tokens"][1])
    await alice.send(send(s["room"], "/help", "h-1"))
    text = (await alice.recv_type("notice"))["text"]
    for line in (
        "/me <action> —",
        "/topic <text> —",
        "/roll 2d6 — Roll dice",
        "(Dice)",
        "/stats —",
        "/leave —",
    ):
        assert line in text
    assert await stored(s["room"]) == []
    await alice.close()


async def test_me_is_stored_as_an_action_message() -> None:
    s = await setup_room()
    alice = await connected(s["tokens"][1])
    await alice.send(send(s["room"], "/me waves", "m-1"))
    await alice.recv_type("ack")
    message = (await alice.recv_type("message"))["message"]
    assert message["body"] == "/me waves"
    await alice.send(send(s["room"], "/me", "m-2"))
    err = await alice.recv_type("error")
    assert (err["code"], err["ref"]) == ("invalid", "m-2")
    assert await stored(s["room"]) == [("cmd-alice", "/me waves")]
    await alice.close()


async def test_topic_and_invite_are_the_owners_and_leave_and_nick_anyones() -> None:
    s = await setup_room(visibility="private")
    own, alice = [await connected(t) for t in s["tokens"]]
    await db(make_user)("cmd-bob")

    await alice.send(send(s["room"], "/topic mine now", "t-1"))
    err = await alice.recv_type("error")
    assert (err["code"], err["ref"]) == ("not_owner", "t-1")
    await alice.send(send(s["room"], "/invite @cmd-bob", "i-1"))
    assert (await alice.recv_type("error"))["code"] == "not_owner"

    await own.send(send(s["room"], "/topic Dice night", "t-2"))
    assert (await own.recv_type("notice"))["text"] == "Topic set: Dice night"
    updated = await alice.recv_type("room.updated")
    while updated["room"]["id"] != s["room"]:  # the main room's count moves as people register
        updated = await alice.recv_type("room.updated")
    assert updated["room"]["topic"] == "Dice night"
    await own.send(send(s["room"], "/invite @cmd-bob", "i-2"))
    assert (await own.recv_type("notice"))["text"] == "cmd-bob was added to cmds."
    assert (await alice.recv_type("member.joined"))["user"]["username"] == "cmd-bob"

    await alice.send(send(s["room"], "/nick Alice A.", "n-1"))
    assert (await alice.recv_type("notice"))["text"] == "You are now shown as Alice A.."
    assert (await db(User.objects.get)(username="cmd-alice")).display_name == "Alice A."
    await alice.send(send(s["room"], "/leave", "l-1"))
    assert (await alice.recv_type("notice"))["text"] == "You left cmds."
    assert not await db(Membership.objects.filter(room_id=s["room"], user__username="cmd-alice").exists)()
    assert (await db(Room.objects.get)(pk=s["room"])).topic == "Dice night"
    assert await stored(s["room"]) == []
    for c in (own, alice):
        await c.close()


async def test_slashes_that_are_not_commands_are_plain_messages() -> None:
    s = await setup_room()
    alice = await connected(s["tokens"][1])
    for i, body in enumerate(["//roll is how you roll", "/usr/bin is a path", "/ shrug"]):
        await alice.send(send(s["room"], body, f"p-{i}"))
        await alice.recv_type("ack")
    assert [b for _u, b in await stored(s["room"])] == [
        "/roll is how you roll",
        "/usr/bin is a path",
        "/ shrug",
    ]
    await alice.close()


def test_rest_command_answers_202_and_stores_nothing_then_roll_is_answered() -> None:
    owner, alice = make_user("rc-own"), make_user("rc-alice")
    room = rooms.room_create(owner=owner, name="rest-cmds")
    rooms.room_join(room_id=room.pk, user=alice)
    api = client_for(alice)
    r = api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "/nope"}, format="json")
    assert r.status_code == 202
    assert r.json() == {
        "command": "nope",
        "text": "Unknown command /nope. Type /help to see this room's commands.",
        "level": "error",
    }
    r = api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "/topic mine"}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "not_owner"
    assert not Message.objects.filter(room=room).exists()
    r = api.post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/roll d20", "client_id": "rr-1"}, format="json"
    )
    assert r.status_code == 201 and r.json()["body"] == "/roll d20"
    again = api.post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/roll d20", "client_id": "rr-1"}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    commands = api.get(f"/api/v1/rooms/{room.pk}/commands").json()
    assert {"name": "roll", "usage": "2d6", "help": "Roll dice, like 2d6 or d20+3", "bot": "Dice"} in commands
    assert client_for(make_user("rc-out")).get(f"/api/v1/rooms/{room.pk}/commands").status_code == 403


async def test_a_command_with_files_is_refused_alike_over_rest_and_the_socket() -> None:
    """REST and the socket post through one route (parley.actions.posting): the same
    refusal, and nothing stored, for a command that carries attachments."""
    s = await setup_room()
    alice = await connected(s["tokens"][1])
    await alice.send({**send(s["room"], "/roll 2d6", "f-1"), "attachments": [1]})
    refused = await alice.recv_type("error")
    api = await db(client_for)(s["alice"])
    r = await db(api.post)(
        f"/api/v1/rooms/{s['room']}/messages",
        {"body": "/roll 2d6", "client_id": "f-2", "attachments": [1]},
        format="json",
    )
    assert r.status_code == 400
    over_rest = error_of(r)
    assert refused["code"] == over_rest["code"] == "invalid" and refused["ref"] == "f-1"
    assert refused["message"] == over_rest["message"]
    assert over_rest["fields"] == {"attachments": ["Commands take no attachments."]}
    assert await stored(s["room"]) == []
    await alice.close()
