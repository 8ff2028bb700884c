"""Pins (issue 32) through the REST API: who may pin, the log event, the cap, the list."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.messaging.models import PINS_MAX, Pin, RoomEvent
from parley.messaging.services import SendRequest, message_send_batch
from parley.realtime.protocol import server_frame_adapter
from parley.realtime.shapes import MessageOut
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, Any]:
    owner, alice, bob = make_user("owner"), make_user("alice"), make_user("bob")
    o, a, b = client_for(owner), client_for(alice), client_for(bob)
    room = o.post("/api/v1/rooms", {"name": "chat"}, format="json").json()
    a.post(f"/api/v1/rooms/{room['id']}/join")
    return {"owner": owner, "alice": alice, "bob": bob, "o": o, "a": a, "b": b, "rid": room["id"]}


def send(client: Any, rid: int, body: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def pin(client: Any, mid: int, method: str = "post") -> Any:
    return getattr(client, method)(f"/api/v1/messages/{mid}/pin")


def pins(client: Any, rid: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/rooms/{rid}/pins")
    assert r.status_code == 200, r.content
    for m in r.json()["pins"]:
        MessageOut.model_validate(m)
    return r.json()["pins"]  # type: ignore[no-any-return]


def events(client: Any, rid: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/rooms/{rid}/events", {"after_seq": 0, "limit": 500}).json()["events"]  # type: ignore[no-any-return]


def test_the_owner_pins_and_the_room_logs_message_pinned(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "the rules: be kind")
    r = pin(w["o"], msg["id"])
    assert r.status_code == 200 and r.json() == {"pinned": True}
    log = events(w["a"], w["rid"])
    assert [e["type"] for e in log] == ["message", "message.pinned"]
    frame = log[1]
    server_frame_adapter.validate_python(frame)
    assert (frame["room"], frame["seq"], frame["message_id"], frame["pinned"]) == (
        w["rid"],
        2,
        msg["id"],
        True,
    )
    assert frame["by"]["id"] == w["owner"].pk
    assert [m["id"] for m in pins(w["a"], w["rid"])] == [msg["id"]]

    r = pin(w["o"], msg["id"], "delete")
    assert r.status_code == 200 and r.json() == {"pinned": False}
    log = events(w["a"], w["rid"])
    assert (log[-1]["type"], log[-1]["seq"], log[-1]["pinned"]) == ("message.pinned", 3, False)
    assert pins(w["a"], w["rid"]) == []


def test_pinning_twice_or_unpinning_what_is_not_pinned_takes_no_seq(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "once")
    assert pin(w["o"], msg["id"]).status_code == 200
    assert pin(w["o"], msg["id"]).status_code == 200
    assert RoomEvent.objects.filter(kind="message.pinned").count() == 1
    assert pin(w["o"], msg["id"], "delete").status_code == 200
    assert pin(w["o"], msg["id"], "delete").status_code == 200
    assert RoomEvent.objects.filter(kind="message.pinned").count() == 2
    assert w["o"].get(f"/api/v1/rooms/{w['rid']}").json()["last_seq"] == 3


def test_members_pin_only_where_the_owner_allows_it(w: dict[str, Any]) -> None:
    msg = send(w["o"], w["rid"], "pin me")
    r = pin(w["a"], msg["id"])
    assert r.status_code == 403 and error_of(r)["code"] == "pin_not_allowed"
    r = w["a"].patch(f"/api/v1/rooms/{w['rid']}", {"members_can_pin": True}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "not_owner"
    r = w["o"].patch(f"/api/v1/rooms/{w['rid']}", {"members_can_pin": True}, format="json")
    assert r.status_code == 200 and r.json()["members_can_pin"] is True
    assert w["a"].get(f"/api/v1/rooms/{w['rid']}").json()["members_can_pin"] is True
    assert pin(w["a"], msg["id"]).status_code == 200
    assert pin(w["a"], msg["id"], "delete").status_code == 200
    assert not Pin.objects.exists()


def test_outsiders_guests_and_muted_members_do_not_pin(w: dict[str, Any]) -> None:
    w["o"].patch(f"/api/v1/rooms/{w['rid']}", {"members_can_pin": True}, format="json")
    msg = send(w["a"], w["rid"], "public room message")
    r = pin(w["b"], msg["id"])  # bob never joined the public room
    assert r.status_code == 403 and error_of(r)["code"] == "not_member"
    r = w["b"].get(f"/api/v1/rooms/{w['rid']}/pins")
    assert r.status_code == 403 and error_of(r)["code"] == "not_member"

    private = w["o"].post("/api/v1/rooms", {"name": "secret", "visibility": "private"}, format="json").json()
    hidden = send(w["o"], private["id"], "in private")
    assert pin(w["b"], hidden["id"]).status_code == 404
    assert w["b"].get(f"/api/v1/rooms/{private['id']}/pins").status_code == 404
    assert pin(w["b"], 10**15).status_code == 404

    guest = make_guest("visitor")
    g = client_for(guest)
    assert g.post(f"/api/v1/rooms/{w['rid']}/join").status_code == 200
    r = pin(g, msg["id"])
    assert r.status_code == 403 and error_of(r)["code"] == "guest"
    assert pins(g, w["rid"]) == []  # guests read the list like any member

    r = w["o"].post(f"/api/v1/rooms/{w['rid']}/mutes/{w['alice'].pk}", {}, format="json")
    assert r.status_code in (200, 204), r.content
    r = pin(w["a"], msg["id"])
    assert r.status_code == 403 and error_of(r)["code"] == "muted"
    assert not Pin.objects.exists()


def test_staff_pin_in_any_room(w: dict[str, Any]) -> None:
    staff = make_user("staffer")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    msg = send(w["a"], w["rid"], "announcement")
    assert pin(client_for(staff), msg["id"]).status_code == 200
    assert [m["id"] for m in pins(w["a"], w["rid"])] == [msg["id"]]


def test_a_deleted_message_is_unpinned_and_cannot_be_pinned(w: dict[str, Any]) -> None:
    one, two = send(w["a"], w["rid"], "one"), send(w["a"], w["rid"], "two")
    assert pin(w["o"], one["id"]).status_code == 200
    assert pin(w["o"], two["id"]).status_code == 200
    assert [m["id"] for m in pins(w["a"], w["rid"])] == [two["id"], one["id"]]  # newest pin first
    assert w["a"].delete(f"/api/v1/messages/{one['id']}").status_code == 204
    assert [m["id"] for m in pins(w["a"], w["rid"])] == [two["id"]]
    assert not Pin.objects.filter(message_id=one["id"]).exists()
    r = pin(w["o"], one["id"])
    assert r.status_code == 409 and error_of(r)["code"] == "message_deleted"


def test_a_room_holds_at_most_pins_max_pins(w: dict[str, Any]) -> None:
    reqs = [SendRequest(w["owner"], f"m{i}", f"c{i}") for i in range(PINS_MAX + 1)]
    sent = message_send_batch(room_id=w["rid"], requests=reqs)
    ids = [s.message.pk for s in sent]  # type: ignore[union-attr]
    now = timezone.now()
    Pin.objects.bulk_create(Pin(message_id=m, room_id=w["rid"], pinned_at=now) for m in ids[:PINS_MAX])
    r = pin(w["o"], ids[-1])
    assert r.status_code == 400 and error_of(r)["code"] == "too_many_pins"
    assert str(PINS_MAX) in error_of(r)["message"]
    assert pin(w["o"], ids[0], "delete").status_code == 200
    assert pin(w["o"], ids[-1]).status_code == 200


def test_a_closed_room_keeps_its_pins_read_only(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "keep")
    assert pin(w["o"], msg["id"]).status_code == 200
    assert w["o"].delete(f"/api/v1/rooms/{w['rid']}").status_code == 204
    r = pin(w["o"], msg["id"], "delete")
    assert r.status_code == 409 and error_of(r)["code"] == "room_closed"
    assert [m["id"] for m in pins(w["a"], w["rid"])] == [msg["id"]]


def test_direct_messages_let_both_people_pin(w: dict[str, Any]) -> None:
    r = w["a"].post("/api/v1/dms", {"user_ids": [w["bob"].pk]}, format="json")
    assert r.status_code in (200, 201), r.content
    dm = r.json()["id"]
    msg = send(w["a"], dm, "our address")
    assert pin(w["b"], msg["id"]).status_code == 200
    assert [m["id"] for m in pins(w["a"], dm)] == [msg["id"]]
    r = w["a"].patch(f"/api/v1/rooms/{dm}", {"members_can_pin": True}, format="json")
    assert r.status_code == 400


@pytest.mark.parametrize("n", [2, 12])
def test_the_pin_list_costs_the_same_whatever_its_length(w: dict[str, Any], n: int) -> None:
    reqs = [SendRequest(w["alice"], f"m{i}", f"c{i}") for i in range(n)]
    sent = message_send_batch(room_id=w["rid"], requests=reqs)
    for s in sent:
        assert pin(w["o"], s.message.pk).status_code == 200  # type: ignore[union-attr]
        w["b"].post(f"/api/v1/rooms/{w['rid']}/join")
    with CaptureQueriesContext(connection) as ctx:
        assert len(pins(w["a"], w["rid"])) == n
    # auth, the room, membership, the pins with their messages, the reactions
    assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]
