"""Saved messages (issue 32) through the REST API: private, paged, filtered when read."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.messaging.models import Message, RoomEvent, SavedMessage
from parley.messaging.services import SendRequest, message_send_batch
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


def save(client: Any, mid: int, method: str = "post") -> Any:
    return getattr(client, method)(f"/api/v1/messages/{mid}/save")


def saved(client: Any, **params: Any) -> dict[str, Any]:
    r = client.get("/api/v1/saved", params)
    assert r.status_code == 200, r.content
    for item in r.json()["results"]:
        MessageOut.model_validate(item["message"])
    return r.json()  # type: ignore[no-any-return]


def ids(page: dict[str, Any]) -> list[int]:
    return [item["message"]["id"] for item in page["results"]]


def test_a_member_saves_newest_first_and_nobody_else_sees_it(w: dict[str, Any]) -> None:
    one, two = send(w["o"], w["rid"], "one"), send(w["o"], w["rid"], "two")
    for mid in (two["id"], one["id"]):  # saved in this order: `one` is the newest save
        r = save(w["a"], mid)
        assert r.status_code == 200 and r.json() == {"saved": True}
    page = saved(w["a"])
    assert ids(page) == [one["id"], two["id"]] and page["next_cursor"] is None
    assert page["results"][0]["room"] == {"id": w["rid"], "name": "chat"}
    assert saved(w["o"])["results"] == []  # private to alice
    assert not RoomEvent.objects.exclude(kind="message").exists()  # nothing logged for the room
    assert save(w["a"], one["id"]).status_code == 200  # idempotent
    assert SavedMessage.objects.count() == 2
    r = save(w["a"], one["id"], "delete")
    assert r.status_code == 200 and r.json() == {"saved": False}
    assert save(w["a"], one["id"], "delete").status_code == 200
    assert ids(saved(w["a"])) == [two["id"]]


def test_outsiders_cannot_save_and_guests_can(w: dict[str, Any]) -> None:
    msg = send(w["o"], w["rid"], "public")
    r = save(w["b"], msg["id"])
    assert r.status_code == 403 and error_of(r)["code"] == "not_member"
    private = w["o"].post("/api/v1/rooms", {"name": "secret", "visibility": "private"}, format="json").json()
    hidden = send(w["o"], private["id"], "in private")
    assert save(w["b"], hidden["id"]).status_code == 404
    assert save(w["b"], hidden["id"], "delete").status_code == 404  # no hint that it exists
    assert save(w["b"], 10**15).status_code == 404
    guest = make_guest("visitor")
    g = client_for(guest)
    g.post(f"/api/v1/rooms/{w['rid']}/join")
    assert save(g, msg["id"]).status_code == 200
    assert ids(saved(g)) == [msg["id"]]


def test_a_deleted_message_cannot_be_saved_and_leaves_the_list(w: dict[str, Any]) -> None:
    msg, other = send(w["o"], w["rid"], "soon gone"), send(w["o"], w["rid"], "stays")
    save(w["a"], other["id"])
    save(w["a"], msg["id"])
    assert w["o"].delete(f"/api/v1/messages/{msg['id']}").status_code == 204
    assert ids(saved(w["a"])) == [other["id"]]
    r = save(w["a"], msg["id"])
    assert r.status_code == 409 and error_of(r)["code"] == "message_deleted"


def test_leaving_a_private_room_hides_its_saved_messages_and_rejoining_shows_them(w: dict[str, Any]) -> None:
    private = w["o"].post("/api/v1/rooms", {"name": "secret", "visibility": "private"}, format="json").json()
    r = w["o"].post(f"/api/v1/rooms/{private['id']}/members", {"username": "alice"}, format="json")
    assert r.status_code == 201, r.content
    msg = send(w["o"], private["id"], "for members")
    assert save(w["a"], msg["id"]).status_code == 200
    assert ids(saved(w["a"])) == [msg["id"]]
    assert w["a"].post(f"/api/v1/rooms/{private['id']}/leave").status_code == 200
    assert saved(w["a"])["results"] == []
    w["o"].post(f"/api/v1/rooms/{private['id']}/members", {"username": "alice"}, format="json")
    assert ids(saved(w["a"])) == [msg["id"]]
    # A public room left: the same (its content is for members).
    pub = send(w["o"], w["rid"], "public")
    save(w["a"], pub["id"])
    w["a"].post(f"/api/v1/rooms/{w['rid']}/leave")
    assert ids(saved(w["a"])) == [msg["id"]]
    # Taking a message off the list works without seeing it.
    assert save(w["a"], pub["id"], "delete").status_code == 200
    assert not SavedMessage.objects.filter(message_id=pub["id"]).exists()


def test_a_deleted_room_takes_its_saved_messages_with_it(w: dict[str, Any]) -> None:
    msg = send(w["o"], w["rid"], "x")
    save(w["a"], msg["id"])
    Message.objects.filter(room_id=w["rid"]).delete()
    assert saved(w["a"])["results"] == []


def test_pages_follow_the_cursor_and_forged_cursors_are_refused(w: dict[str, Any]) -> None:
    reqs = [SendRequest(w["owner"], f"m{i}", f"c{i}") for i in range(7)]
    sent = [s.message.pk for s in message_send_batch(room_id=w["rid"], requests=reqs)]  # type: ignore[union-attr]
    now = timezone.now()
    SavedMessage.objects.bulk_create(SavedMessage(user=w["alice"], message_id=m, saved_at=now) for m in sent)
    first = saved(w["a"], limit=3)
    second = saved(w["a"], limit=3, cursor=first["next_cursor"])
    third = saved(w["a"], limit=3, cursor=second["next_cursor"])
    assert ids(first) + ids(second) + ids(third) == sent[::-1]
    assert third["next_cursor"] is None
    r = w["a"].get("/api/v1/saved", {"cursor": "12"})
    assert r.status_code == 400 and "cursor" in error_of(r)["fields"]


@pytest.mark.parametrize("n", [2, 20])
def test_the_saved_list_costs_the_same_whatever_its_length(w: dict[str, Any], n: int) -> None:
    other = w["o"].post("/api/v1/rooms", {"name": "other"}, format="json").json()
    w["a"].post(f"/api/v1/rooms/{other['id']}/join")
    reqs = [SendRequest(w["owner"], f"m{i}", f"c{i}") for i in range(n)]
    sent = [s.message.pk for s in message_send_batch(room_id=w["rid"], requests=reqs)]  # type: ignore[union-attr]
    replies = [SendRequest(w["owner"], f"n{i}", f"d{i}", reply_to=sent[0]) for i in range(n)]
    sent += [s.message.pk for s in message_send_batch(room_id=w["rid"], requests=replies)]  # type: ignore[union-attr]
    there = [SendRequest(w["owner"], "elsewhere", "e1")]
    sent += [s.message.pk for s in message_send_batch(room_id=other["id"], requests=there)]  # type: ignore[union-attr]
    now = timezone.now()
    SavedMessage.objects.bulk_create(SavedMessage(user=w["alice"], message_id=m, saved_at=now) for m in sent)
    with CaptureQueriesContext(connection) as ctx:
        assert ids(saved(w["a"], limit=50)) == sent[::-1]
    # auth, the page (messages, senders, rooms and replies joined in), the reactions
    assert len(ctx.captured_queries) <= 4, [q["sql"] for q in ctx.captured_queries]
