"""Handing a room over and switching it between public and private, through the REST API.

Only the owner may do either; the new owner must be a member; a closed room is
left as it is; lobbies follow a visibility switch live.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.accounts.models import User
from parley.testing.api import client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def create(client: Any, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/rooms", {"name": f"room {next(_n)}", **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def owned_room_with_member(visibility: str = "public") -> tuple[Any, Any, User, dict[str, Any]]:
    owner, member = make_user(), make_user()
    a, b = client_for(owner), client_for(member)
    room = create(a, visibility=visibility)
    if visibility == "public":
        assert b.post(f"/api/v1/rooms/{room['id']}/join").status_code == 200
    else:
        add = a.post(f"/api/v1/rooms/{room['id']}/members", {"username": member.username}, format="json")
        assert add.status_code == 201
    return a, b, member, room


def test_the_owner_hands_the_room_over_and_may_then_leave() -> None:
    a, b, member, room = owned_room_with_member()
    assert error_of(a.post(f"/api/v1/rooms/{room['id']}/leave"))["code"] == "owner_cannot_leave"
    r = a.post(f"/api/v1/rooms/{room['id']}/transfer", {"user_id": member.pk}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["owner"]["id"] == member.pk
    assert r.json()["is_member"] is True  # the former owner stays until they leave
    assert b.patch(f"/api/v1/rooms/{room['id']}", {"topic": "mine now"}, format="json").status_code == 200
    assert a.patch(f"/api/v1/rooms/{room['id']}", {"topic": "still mine?"}, format="json").status_code == 403
    assert a.post(f"/api/v1/rooms/{room['id']}/leave").status_code == 200
    assert b.get(f"/api/v1/rooms/{room['id']}").json()["member_count"] == 1


def test_only_the_owner_hands_over_or_switches_visibility() -> None:
    a, b, member, room = owned_room_with_member()
    url = f"/api/v1/rooms/{room['id']}"
    r = b.post(url + "/transfer", {"user_id": member.pk}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "not_owner"
    r = b.patch(url, {"visibility": "private"}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "not_owner"
    outsider = client_for(make_user())
    assert outsider.patch(url, {"visibility": "private"}, format="json").status_code == 403
    assert a.get(url).json()["visibility"] == "public"
    assert a.get(url).json()["owner"]["username"] != member.username
    # A private room does not admit it exists to a non-member.
    _a, _b, _m, hidden = owned_room_with_member("private")
    r = outsider.post(f"/api/v1/rooms/{hidden['id']}/transfer", {"user_id": 1}, format="json")
    assert r.status_code == 404


def test_the_new_owner_must_be_a_member() -> None:
    a, _b, _member, room = owned_room_with_member()
    stranger = make_user()
    url = f"/api/v1/rooms/{room['id']}/transfer"
    for target in (stranger.pk, 999_999):
        r = a.post(url, {"user_id": target}, format="json")
        assert r.status_code == 400
        err = error_of(r)
        assert err["code"] == "not_member"
        assert err["message"] == "Only a member of the room can become its owner."
        assert "user_id" in err["fields"]
    r = a.post(url, {}, format="json")
    assert r.status_code == 400 and "user_id" in error_of(r)["fields"]
    assert a.get(f"/api/v1/rooms/{room['id']}").json()["owner"]["username"] != stranger.username


def test_a_closed_room_is_neither_handed_over_nor_switched() -> None:
    a, _b, member, room = owned_room_with_member()
    url = f"/api/v1/rooms/{room['id']}"
    assert a.delete(url).status_code == 204
    r = a.post(url + "/transfer", {"user_id": member.pk}, format="json")
    assert r.status_code == 409 and error_of(r)["code"] == "room_closed"
    r = a.patch(url, {"visibility": "private"}, format="json")
    assert r.status_code == 409 and error_of(r)["code"] == "room_closed"


def test_visibility_decides_who_sees_the_room() -> None:
    a, b, _member, room = owned_room_with_member()
    outsider = client_for(make_user())
    url = f"/api/v1/rooms/{room['id']}"

    def listed(client: Any) -> bool:
        return room["id"] in {r["id"] for r in client.get("/api/v1/rooms").json()}

    r = a.patch(url, {"visibility": "private"}, format="json")
    assert r.status_code == 200 and r.json()["visibility"] == "private"
    assert not listed(outsider) and outsider.get(url).status_code == 404
    assert listed(b)  # members keep it
    r = a.patch(url, {"visibility": "public"}, format="json")
    assert r.status_code == 200 and r.json()["visibility"] == "public"
    assert listed(outsider) and outsider.get(url).status_code == 200
    r = a.patch(url, {"visibility": "secret"}, format="json")
    assert r.status_code == 400 and "visibility" in error_of(r)["fields"]


@pytest.mark.django_db(transaction=True)
async def test_lobbies_follow_a_visibility_switch_and_members_a_hand_over_live() -> None:
    db = database_sync_to_async
    a, _b, member, room = await db(owned_room_with_member)()
    outsider = await db(make_user)()
    watcher, heir = WsClient(await db(token_for)(outsider)), WsClient(await db(token_for)(member))
    for ws in (watcher, heir):
        ok, _ = await ws.connect()
        assert ok
    url = f"/api/v1/rooms/{room['id']}"
    try:
        await db(lambda: a.patch(url, {"visibility": "private"}, format="json"))()
        frame = await watcher.recv_type("room.updated")
        assert frame["room"]["id"] == room["id"] and frame["room"]["visibility"] == "private"
        assert (await heir.recv_type("room.updated"))["room"]["visibility"] == "private"

        await db(lambda: a.post(url + "/transfer", {"user_id": member.pk}, format="json"))()
        assert (await heir.recv_type("room.updated"))["room"]["owner"]["id"] == member.pk
        await watcher.nothing()  # a private room's news reach its members only

        b = await db(client_for)(member)
        await db(lambda: b.patch(url, {"visibility": "public"}, format="json"))()
        frame = await watcher.recv_type("room.updated")
        assert frame["room"]["visibility"] == "public" and frame["room"]["owner"]["id"] == member.pk
    finally:
        await watcher.close()
        await heir.close()
