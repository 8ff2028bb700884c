"""Status, do-not-disturb and away (issue 30): PATCH me's validation, expiry, and the
`presence` frames and member lists that carry each person's state and status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from parley.accounts import presence
from parley.accounts.models import User
from parley.accounts.tasks import presence_expire
from parley.realtime.protocol import PresenceOut
from parley.realtime.shapes import SelfUserOut
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async


def _in(seconds: float) -> str:
    return (timezone.now() + timedelta(seconds=seconds)).isoformat()


def _patch(user: User, body: dict[str, Any]) -> Any:
    return client_for(user).patch("/api/v1/me", body, format="json")


# --- PATCH me: validation and reading back -------------------------------------------------


@pytest.mark.django_db
def test_a_status_is_set_read_back_and_cleared_by_null() -> None:
    ann = make_user("st-ann")
    r = _patch(
        ann, {"status": {"emoji": "🚆", "text": "  Commuting\non the train ", "expires_at": _in(3600)}}
    )
    assert r.status_code == 200, r.json()
    me = SelfUserOut.model_validate(r.json()["user"])
    assert me.status is not None and (me.status.emoji, me.status.text) == ("🚆", "Commuting on the train")
    assert me.status.expires_at is not None
    assert client_for(ann).get("/api/v1/me").json()["user"]["status"]["text"] == "Commuting on the train"
    r = _patch(ann, {"status": None})
    assert r.status_code == 200 and r.json()["user"]["status"] is None
    ann.refresh_from_db()
    assert (ann.status_emoji, ann.status_text, ann.status_expires_at) == ("", "", None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "field"),
    [
        ({"emoji": "ab", "text": "x"}, "status.emoji"),
        ({"emoji": "🚆🚆", "text": "x"}, "status.emoji"),
        ({"emoji": "🚆", "text": "x" * 101}, "text"),
        ({"emoji": "🚆", "text": "late", "expires_at": "2001-01-01T00:00:00Z"}, "status.expires_at"),
        ({"emoji": "🚆", "text": "far", "expires_at": "2999-01-01T00:00:00Z"}, "status.expires_at"),
        ({"emoji": "🚆", "text": "x", "expires_at": "not a time"}, "expires_at"),
        ("Commuting", "status"),
    ],
)
def test_a_bad_status_is_refused_with_the_field_and_changes_nothing(
    status: dict[str, Any], field: str
) -> None:
    ann = make_user("st-bad")
    r = _patch(ann, {"status": status, "display_name": "Ann Renamed"})
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "invalid"
    assert field in str(err["fields"]), err
    ann.refresh_from_db()
    assert (ann.status_text, ann.display_name) == ("", "")  # nothing half-saved


@pytest.mark.django_db
def test_do_not_disturb_takes_a_future_time_or_null() -> None:
    ann = make_user("st-dnd")
    r = _patch(ann, {"dnd_until": "2001-01-01T00:00:00Z"})
    assert r.status_code == 400 and "dnd_until" in error_of(r)["fields"]
    r = _patch(ann, {"dnd_until": _in(1800)})
    assert r.status_code == 200 and r.json()["user"]["dnd_until"] is not None
    r = _patch(ann, {"dnd_until": None})
    assert r.status_code == 200 and r.json()["user"]["dnd_until"] is None


@pytest.mark.django_db
def test_an_expired_status_and_dnd_read_as_gone_before_the_job_runs() -> None:
    ann = make_user("st-exp")
    assert _patch(ann, {"status": {"emoji": "🍽️", "text": "Lunch", "expires_at": _in(60)}}).status_code == 200
    assert _patch(ann, {"dnd_until": _in(60)}).status_code == 200
    past = timezone.now() - timedelta(seconds=1)
    User.objects.filter(pk=ann.pk).update(status_expires_at=past, dnd_until=past)
    me = client_for(ann).get("/api/v1/me").json()["user"]
    assert me["status"] is None and me["dnd_until"] is None
    assert presence_expire() == 1  # the job clears the columns once
    assert presence_expire() == 0
    ann.refresh_from_db()
    assert (ann.status_text, ann.dnd_until) == ("", None)


# --- presence frames and member lists ------------------------------------------------------


@db
def _pair(name: str) -> dict[str, Any]:
    ann, bob = make_user(f"{name}-ann"), make_user(f"{name}-bob")
    room = rooms.room_create(owner=ann, name=f"{name}-room")
    rooms.room_join(room_id=room.pk, user=bob)
    return {"ann": ann, "bob": bob, "room": room.pk, "tokens": [token_for(ann), token_for(bob)]}


async def _connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


async def _presence_of(ws: WsClient, user_id: int, state: str, timeout: float = 5) -> dict[str, Any]:
    """The next person `presence` frame of `user_id` in `state` (others are passed over)."""
    deadline = timeout
    while True:
        frame = await ws.recv_type("presence", timeout=deadline)
        PresenceOut.model_validate(frame)
        if frame.get("user_id") == user_id and frame["state"] == state:
            return frame


@db
def _members(user: User, room: int) -> dict[int, dict[str, Any]]:
    r = client_for(user).get(f"/api/v1/rooms/{room}/members")
    assert r.status_code == 200
    return {m["user"]["id"]: m for m in r.json()["members"]}


@pytest.mark.django_db(transaction=True)
async def test_coming_going_status_and_dnd_reach_others_live_and_the_member_list() -> None:
    p = await _pair("live")
    ann_ws = await _connected(p["tokens"][0])
    try:
        bob_ws = await _connected(p["tokens"][1])
        await _presence_of(ann_ws, p["bob"].pk, "online")
        members = await _members(p["ann"], p["room"])
        assert (members[p["bob"].pk]["state"], members[p["bob"].pk]["status"]) == ("online", None)

        r = await db(_patch)(
            p["bob"], {"status": {"emoji": "📅", "text": "In a meeting", "expires_at": _in(3600)}}
        )
        assert r.status_code == 200
        frame = await _presence_of(ann_ws, p["bob"].pk, "online")
        assert frame["status"]["text"] == "In a meeting"

        assert (await db(_patch)(p["bob"], {"dnd_until": _in(3600)})).status_code == 200
        assert (await _presence_of(ann_ws, p["bob"].pk, "dnd"))["status"]["emoji"] == "📅"
        members = await _members(p["ann"], p["room"])
        assert members[p["bob"].pk]["state"] == "dnd"
        assert members[p["bob"].pk]["status"]["text"] == "In a meeting"

        # Both run out: the job clears them and tells everyone.
        past = timezone.now() - timedelta(seconds=1)
        await db(User.objects.filter(pk=p["bob"].pk).update)(status_expires_at=past, dnd_until=past)
        assert await db(presence.presence_expire)() == [p["bob"].pk]
        frame = await _presence_of(ann_ws, p["bob"].pk, "online")
        assert frame["status"] is None

        await bob_ws.close()
        await _presence_of(ann_ws, p["bob"].pk, "offline")
        assert (await _members(p["ann"], p["room"]))[p["bob"].pk]["state"] == "offline"
    finally:
        await ann_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_away_by_hand_stays_until_cleared() -> None:
    p = await _pair("hand")
    ann_ws, bob_ws = await _connected(p["tokens"][0]), await _connected(p["tokens"][1])
    try:
        assert (await db(_patch)(p["bob"], {"away": True})).status_code == 200
        await _presence_of(ann_ws, p["bob"].pk, "away")
        await bob_ws.send({"type": "typing", "room": p["room"]})  # activity does not end it
        await ann_ws.recv_type("typing")
        assert (await _members(p["ann"], p["room"]))[p["bob"].pk]["state"] == "away"
        assert (await db(_patch)(p["bob"], {"away": False})).status_code == 200
        await _presence_of(ann_ws, p["bob"].pk, "online")
    finally:
        await ann_ws.close()
        await bob_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_idle_for_away_after_is_away_and_an_activity_frame_brings_them_back(settings: Any) -> None:
    settings.AWAY_AFTER = 0.6
    p = await _pair("idle")
    ann_ws, bob_ws = await _connected(p["tokens"][0]), await _connected(p["tokens"][1])
    try:
        await _presence_of(ann_ws, p["bob"].pk, "away", timeout=5)
        assert (await _members(p["ann"], p["room"]))[p["bob"].pk]["state"] == "away"
        await bob_ws.send({"type": "ping"})  # the keepalive is not activity
        await bob_ws.recv_type("pong")
        assert (await _members(p["ann"], p["room"]))[p["bob"].pk]["state"] == "away"
        await bob_ws.send({"type": "typing", "room": p["room"]})
        await _presence_of(ann_ws, p["bob"].pk, "online", timeout=3)
    finally:
        await ann_ws.close()
        await bob_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_a_dm_in_the_room_list_carries_its_peoples_presence() -> None:
    p = await _pair("dmp")
    bob_ws = await _connected(p["tokens"][1])
    try:

        @db
        def dm_room() -> dict[str, Any]:
            assert (
                _patch(p["bob"], {"status": {"emoji": "🏠", "text": "Home", "expires_at": None}}).status_code
                == 200
            )
            r = client_for(p["ann"]).post("/api/v1/dms", {"user_ids": [p["bob"].pk]}, format="json")
            assert r.status_code in (200, 201)
            return r.json()  # type: ignore[no-any-return]

        room = await dm_room()
        where = {d["user_id"]: d for d in room["dm_presence"]}
        assert where[p["bob"].pk]["state"] == "online"
        assert where[p["bob"].pk]["status"]["text"] == "Home"
        assert where[p["ann"].pk]["state"] == "offline"
    finally:
        await bob_ws.close()
