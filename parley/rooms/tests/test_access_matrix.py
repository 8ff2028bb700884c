"""Who may do what to a room: every REST endpoint and WebSocket action x every kind of caller.

The tables below are the specification. A cell `a/b` reads "a for a public room,
b for a private one"; `-` means the caller cannot get that far (no socket).
`{message}` is the owner's message (the secret one).
Each REST cell runs on a fresh database. Besides the status, every refused
answer is checked to say nothing of the room's content (a message body, a
private room's name).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.messaging.services import message_send
from parley.rooms import invites
from parley.rooms import services as rooms
from parley.testing.api import make_guest, make_user, token_for
from parley.testing.ws import WsClient

# Who may do what is the same logic on every database; the matrix runs on SQLite (the embedded
# pass) and PostgreSQL (the services pass). MariaDB's own SQL (search, listing, locking) has
# its tests elsewhere; the matrix's 448 cells there only made CI longer (docs/testing.md).
pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("mysql"),
    reason="permission logic, run on SQLite and PostgreSQL (docs/testing.md)",
)

ROLES = ["owner", "member", "outsider", "removed", "guest", "anonymous", "deactivated"]

REST_MATRIX = """
action                    | owner   | member  | outsider | removed | guest   | anonymous | deactivated
GET rooms (listed)        | 200 yes | 200 yes | 200 yes/no | 200 yes/no | 200 yes/no | 401 | 401
GET rooms/{id}            | 200     | 200     | 200/404  | 200/404 | 200/404 | 401       | 401
PATCH rooms/{id}          | 200     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
DELETE rooms/{id}         | 204     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/join      | 200     | 200     | 200/404  | 200/404 | 200/404 | 401       | 401
POST rooms/{id}/leave     | 409     | 200     | 403/404  | 403/404 | 403/404 | 401       | 401
GET rooms/{id}/members    | 200     | 200     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/members   | 201     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
DELETE rooms/{id}/members/{member} | 204 | 403 | 403/404  | 403/404 | 403/404 | 401       | 401
GET rooms/{id}/messages   | 200     | 200     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/messages  | 201     | 201     | 403/404  | 403/404 | 403/404 | 401       | 401
GET rooms/{id}/events     | 200     | 200     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/read      | 204     | 204     | 403/404  | 403/404 | 403/404 | 401       | 401
GET search (finds it)     | 200 yes | 200 yes | 200 no   | 200 no  | 200 no  | 401       | 401
PATCH messages/{message}  | 200     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
DELETE messages/{message} | 204     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
POST messages/{message}/reactions/{emoji}   | 200 | 200 | 403/404 | 403/404 | 403/404 | 401 | 401
DELETE messages/{message}/reactions/{emoji} | 200 | 200 | 403/404 | 403/404 | 403/404 | 401 | 401
GET rooms/{id}/mutes      | 200     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/mutes/{member}   | 200 | 403 | 403/404  | 403/404 | 403/404 | 401       | 401
DELETE rooms/{id}/mutes/{member} | 204 | 403 | 403/404  | 403/404 | 403/404 | 401       | 401
GET rooms/{id}/bans       | 200     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/bans/{member}    | 200 | 403 | 403/404  | 403/404 | 403/404 | 401       | 401
DELETE rooms/{id}/bans/{member}  | 204 | 403 | 403/404  | 403/404 | 403/404 | 401       | 401
POST messages/{message}/reports  | 400 | 201 | 403/404  | 403/404 | 403/404 | 401       | 401
GET reports               | 403     | 403     | 403      | 403     | 403     | 401       | 401
POST reports/{report}/resolve    | 403 | 403 | 403      | 403     | 403     | 401       | 401
GET rooms/{id}/invites    | 200     | 200     | 403/404  | 403/404 | 403/404 | 401       | 401
POST rooms/{id}/invites   | 201     | 403     | 403/404  | 403/404 | 403/404 | 401       | 401
GET invites/{invite}      | 200     | 200     | 200      | 200     | 200     | 200       | 401
POST invites/{invite}/accept | 200  | 200     | 200      | 200     | 200     | 401       | 401
DELETE invites/{invite}   | 204     | 404     | 404      | 404     | 404     | 401       | 401
"""
# The owner may not report their own message (400); staff alone read and resolve reports
# (parley/messaging/tests/test_reports.py), and moderate any room (test_moderation.py).

# WebSocket: the outcome of each client frame, and whether the socket hears the room.
WS_MATRIX = """
action         | owner  | member | outsider | removed | guest  | anonymous | deactivated
connect        | ok     | ok     | ok       | ok      | ok     | refused   | refused
send           | ack    | ack    | nm/nf    | nm/nf   | nm/nf  | -         | -
resume         | replay | replay | nm       | nm      | nm     | -         | -
read           | unread | unread | nm/nf    | nm/nf   | nm/nf  | -         | -
typing         | ok     | ok     | nm       | nm      | nm     | -         | -
hears the room | yes    | yes    | no       | no      | no     | -         | -
"""
CODES = {"nm": "not_member", "nf": "not_found"}  # error codes, abbreviated in the table above

SECRET = "the-secret-body-7f3a"
PRIVATE_NAME = "hidden-chamber-91c2"


def parse(table: str) -> dict[str, dict[str, str]]:
    lines = [line for line in table.strip().splitlines()]
    header = [c.strip() for c in lines[0].split("|")]
    assert header[1:] == ROLES
    out = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.split("|")]
        assert len(cells) == len(header), line
        out[cells[0]] = dict(zip(ROLES, cells[1:], strict=True))
    return out


def pick(cell: str, visibility: str) -> str:
    """`200 yes/no` -> `200 yes` (public) or `200 no` (private); `403/404` likewise."""
    words = []
    for word in cell.split():
        if "/" in word:
            public, private = word.split("/")
            word = public if visibility == "public" else private
        words.append(word)
    return " ".join(words)


_n = itertools.count(1)


def world(visibility: str) -> dict[str, Any]:
    """A room with an owner, a member, a removed member, an outsider, a guest and a deactivated member."""
    n = next(_n)
    owner, member, outsider = make_user(f"own{n}"), make_user(f"mem{n}"), make_user(f"out{n}")
    removed, deactivated, newbie = make_user(f"rem{n}"), make_user(f"dea{n}"), make_user(f"new{n}")
    target = make_user(f"tgt{n}")  # the member that DELETE rooms/{id}/members/{member} removes
    guest = make_guest(f"Visitor {n}")
    name = PRIVATE_NAME if visibility == "private" else f"open-{n}"
    room = rooms.room_create(owner=owner, name=name, visibility=visibility)
    for user in (member, removed, deactivated, target):
        if visibility == "public":
            rooms.room_join(room_id=room.pk, user=user)
        else:
            rooms.member_add(room_id=room.pk, actor=owner, username=user.username)
    message_send(sender=removed, room_id=room.pk, body="I was here", client_id="was-here")
    secret = message_send(sender=owner, room_id=room.pk, body=SECRET, client_id="secret").message
    rooms.member_remove(room_id=room.pk, actor=owner, user_id=removed.pk)
    invite = invites.invite_create(room_id=room.pk, actor=owner)
    users: dict[str, User | None] = {
        "owner": owner,
        "member": member,
        "outsider": outsider,
        "removed": removed,
        "guest": guest,
        "anonymous": None,
        "deactivated": deactivated,
    }
    tokens = {role: token_for(u) for role, u in users.items() if u is not None}
    # Deactivated the way an admin does it (the admin site does not call our service):
    # the user's token still exists and must still be refused.
    User.objects.filter(pk=deactivated.pk).update(is_active=False)
    return {
        "room": room,
        "users": users,
        "tokens": tokens,
        "newbie": newbie,
        "target": target,
        "message": secret,
        "invite": invite,
    }


def rest_call(client: APIClient, action: str, w: dict[str, Any]) -> Any:
    rid = w["room"].pk
    method, path = action.split(" (")[0].split(" ", 1)
    path = path.replace("{id}", str(rid)).replace("{member}", str(w["target"].pk))
    path = path.replace("{message}", str(w["message"].pk)).replace("{emoji}", "%F0%9F%91%8D")
    path = path.replace("{report}", "1")
    path = path.replace("{invite}", w["invite"].token)
    body: dict[str, Any] | None = {
        "PATCH rooms/{id}": {"topic": "changed"},
        "POST rooms/{id}/members": {"username": w["newbie"].username},
        "POST rooms/{id}/messages": {"body": "hello", "client_id": "matrix-1"},
        "POST rooms/{id}/read": {"seq": 1},
        "PATCH messages/{message}": {"body": "changed"},
        "POST rooms/{id}/mutes/{member}": {"duration": 60},
        "POST rooms/{id}/bans/{member}": {"reason": "matrix"},
        "POST messages/{message}/reports": {"category": "spam"},
        "POST reports/{report}/resolve": {"action": "dismiss"},
    }.get(action)
    params = {"q": SECRET} if path == "search" else {"after_seq": 0} if path.endswith("events") else None
    url = f"/api/v1/{path}"
    if method == "GET":
        return client.get(url, params)
    return getattr(client, method.lower())(url, body, format="json")


REST_CASES = [
    (action, role, visibility)
    for action in parse(REST_MATRIX)
    for role in ROLES
    for visibility in ("public", "private")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "role", "visibility"), REST_CASES)
def test_rest_access_matrix(action: str, role: str, visibility: str) -> None:
    w = world(visibility)
    client = APIClient()
    if role in w["tokens"]:
        client.credentials(HTTP_AUTHORIZATION=f"Token {w['tokens'][role]}")
    expected = pick(parse(REST_MATRIX)[action][role], visibility).split()
    r = rest_call(client, action, w)
    assert r.status_code == int(expected[0]), (action, role, visibility, r.content[:300])
    content = r.content.decode()
    if r.status_code >= 400:
        assert set(r.json()) == {"error"}, content
        assert SECRET not in content
        if visibility == "private":
            assert PRIVATE_NAME not in content, "a refusal must not name a private room"
    if len(expected) > 1:
        rid = w["room"].pk
        if action.startswith("GET rooms "):
            listed = any(room["id"] == rid for room in r.json())
        else:
            listed = any(hit["message"]["room"] == rid for hit in r.json()["results"])
        assert listed == (expected[1] == "yes"), (action, role, visibility)


db = database_sync_to_async


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visibility", ["public", "private"])
@pytest.mark.parametrize("role", ROLES)
async def test_websocket_access_matrix(role: str, visibility: str) -> None:
    spec = {
        action: CODES.get(cell, cell)
        for action, cells in parse(WS_MATRIX).items()
        for cell in [pick(cells[role], visibility)]
    }
    w = await db(world)(visibility)
    rid = w["room"].pk
    client = WsClient(w["tokens"].get(role))
    ok, _ = await client.connect()
    assert ("ok" if ok else "refused") == spec["connect"]
    if not ok:
        return
    await client.send({"type": "send", "room": rid, "body": "from the matrix", "client_id": "ws-1"})
    answer = await client.recv_type("ack" if spec["send"] == "ack" else "error")
    if spec["send"] != "ack":
        assert (answer["code"], answer["ref"]) == (spec["send"], "ws-1")
        assert SECRET not in str(answer) and PRIVATE_NAME not in str(answer)
    else:
        await client.recv_type("message")  # its own message comes back to it

    await client.send({"type": "resume", "rooms": {str(rid): 0}})
    if spec["resume"] == "replay":
        replay = await client.messages(3)
        assert [f["seq"] for f in replay][:2] == [1, 2] and replay[1]["message"]["body"] == SECRET
    else:
        err = await client.recv_type("error")
        assert (err["code"], err["ref"]) == (spec["resume"], rid)

    await client.send({"type": "read", "room": rid, "seq": 1})
    if spec["read"] == "unread":
        assert (await client.recv_type("unread"))["room"] == rid
    else:
        err = await client.recv_type("error")
        assert (err["code"], err["ref"]) == (spec["read"], rid)

    await client.send({"type": "typing", "room": rid})
    if spec["typing"] != "ok":
        err = await client.recv_type("error")
        assert (err["code"], err["ref"]) == (spec["typing"], rid)
    await client.nothing(ignore=("presence", "ping", "typing", "unread", "ack"))

    # Something happens in the room: only its members hear of it.
    owner = w["users"]["owner"]
    await db(message_send)(sender=owner, room_id=rid, body=SECRET + " again", client_id="later")
    if spec["hears the room"] == "yes":
        frame = await client.recv_type("message")
        assert frame["message"]["body"] == SECRET + " again"
    else:
        await client.nothing(ignore=("presence", "ping"))
        assert all(SECRET not in str(f) for f in client.seen)
        if visibility == "private":
            assert all(PRIVATE_NAME not in str(f) for f in client.seen)
    await client.close()
