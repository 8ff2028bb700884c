"""Rooms through the REST API: create, list, edit, close, join, leave, members."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.realtime.shapes import RoomOut
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db

ROOM_KEYS = {
    "id", "name", "topic", "visibility", "owner", "member_count", "online_count",
    "is_member", "unread_count", "mention_count", "last_seq", "closed", "created_at",
    "muted", "muted_until", "kind", "dm_members", "notify", "hidden", "last_read_seq", "members_can_invite",
    "members_can_pin",
    "link_previews",
    "dm_presence",
    "retention_days", "retention_policy",
}  # fmt: skip


def create(client, name="lounge", **extra):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/rooms", {"name": name, **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def test_create_room_makes_the_creator_owner_and_member() -> None:
    owner = make_user("owner")
    room = create(client_for(owner), "Lounge", topic="Say hi")
    assert set(room) == ROOM_KEYS
    assert room["owner"]["username"] == "owner"
    assert room["is_member"] is True
    assert room["member_count"] == 1
    assert room["visibility"] == "public"
    assert room["closed"] is False


def test_room_names_are_unique_case_insensitively() -> None:
    a = client_for(make_user())
    create(a, "Lounge")
    r = a.post("/api/v1/rooms", {"name": "  lounge "}, format="json")
    assert r.status_code == 409
    assert error_of(r)["code"] == "name_taken"


@pytest.mark.parametrize(
    "payload",
    [
        {"name": ""},
        {"name": "x" * 65},
        {"name": "ok", "visibility": "secret"},
        {"name": "ok", "topic": "t" * 251},
        {},
    ],
)
def test_create_rejects_bad_input(payload: dict[str, str]) -> None:
    r = client_for(make_user()).post("/api/v1/rooms", payload, format="json")
    assert r.status_code == 400
    assert error_of(r)["fields"]


def test_anonymous_cannot_use_rooms() -> None:
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/rooms").status_code == 401


def test_list_splits_joined_and_not_joined_and_hides_private_rooms() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    a, b = client_for(alice), client_for(bob)
    pub = create(a, "pub")
    create(a, "secret", visibility="private")
    mine = create(b, "bobs")
    names = lambda r: sorted(x["name"] for x in r.json())  # noqa: E731
    # Both joined the main room ("general") when they registered.
    assert names(b.get("/api/v1/rooms")) == ["bobs", "general", "pub"]
    assert names(b.get("/api/v1/rooms?joined=true")) == ["bobs", "general"]
    assert names(b.get("/api/v1/rooms?joined=false")) == ["pub"]
    assert names(a.get("/api/v1/rooms?joined=true")) == ["general", "pub", "secret"]
    assert b.get("/api/v1/rooms?joined=maybe").status_code == 400
    listed = {x["id"]: x for x in b.get("/api/v1/rooms").json()}
    assert listed[pub["id"]]["is_member"] is False
    assert listed[mine["id"]]["is_member"] is True


def test_list_costs_a_constant_number_of_queries() -> None:
    user = make_user()
    client = client_for(user)
    create(client, "r0")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/rooms")
    for i in range(1, 8):
        create(client, f"r{i}")
    with CaptureQueriesContext(connection) as many:
        r = client.get("/api/v1/rooms")
    assert len(r.json()) == 8 + 1  # and the main room
    assert len(many) == len(few)


def test_private_room_is_404_for_non_members() -> None:
    a, b = client_for(make_user()), client_for(make_user())
    room = create(a, "hidden", visibility="private")
    for method, path in [
        ("get", f"/api/v1/rooms/{room['id']}"),
        ("get", f"/api/v1/rooms/{room['id']}/messages"),
        ("get", f"/api/v1/rooms/{room['id']}/members"),
        ("post", f"/api/v1/rooms/{room['id']}/join"),
        ("patch", f"/api/v1/rooms/{room['id']}"),
    ]:
        r = getattr(b, method)(path, {}, format="json")
        assert r.status_code == 404, (method, path, r.status_code)


def test_owner_edits_name_and_topic_others_cannot() -> None:
    owner, other = make_user(), make_user()
    o, x = client_for(owner), client_for(other)
    room = create(o, "old")
    create(o, "taken")
    x.post(f"/api/v1/rooms/{room['id']}/join")
    r = o.patch(f"/api/v1/rooms/{room['id']}", {"name": "new", "topic": "fresh"}, format="json")
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["topic"]) == ("new", "fresh")
    r = x.patch(f"/api/v1/rooms/{room['id']}", {"topic": "mine now"}, format="json")
    assert r.status_code == 403
    assert error_of(r)["code"] == "not_owner"
    assert o.patch(f"/api/v1/rooms/{room['id']}", {"name": "TAKEN"}, format="json").status_code == 409


def test_closing_keeps_the_room_readable_and_refuses_writes() -> None:
    owner, member = make_user(), make_user()
    o, m = client_for(owner), client_for(member)
    room = create(o, "closing")
    m.post(f"/api/v1/rooms/{room['id']}/join")
    o.post(
        f"/api/v1/rooms/{room['id']}/messages",
        {"body": "last words", "client_id": "c1"},
        format="json",
    )
    assert m.delete(f"/api/v1/rooms/{room['id']}").status_code == 403
    assert o.delete(f"/api/v1/rooms/{room['id']}").status_code == 204
    assert o.delete(f"/api/v1/rooms/{room['id']}").status_code == 204  # idempotent
    assert m.get(f"/api/v1/rooms/{room['id']}").json()["closed"] is True
    assert [x["body"] for x in m.get(f"/api/v1/rooms/{room['id']}/messages").json()["messages"]] == [
        "last words"
    ]
    r = m.post(f"/api/v1/rooms/{room['id']}/messages", {"body": "hello?", "client_id": "c2"}, format="json")
    assert r.status_code == 409
    assert error_of(r)["code"] == "room_closed"
    late = client_for(make_user())
    assert late.post(f"/api/v1/rooms/{room['id']}/join").status_code == 409
    assert o.patch(f"/api/v1/rooms/{room['id']}", {"topic": "x"}, format="json").status_code == 409


def test_join_and_leave_public_rooms() -> None:
    o, m = client_for(make_user()), client_for(make_user())
    room = create(o, "hall")
    r = m.post(f"/api/v1/rooms/{room['id']}/join")
    assert r.status_code == 200
    assert r.json()["is_member"] is True
    assert r.json()["member_count"] == 2
    assert m.post(f"/api/v1/rooms/{room['id']}/join").status_code == 200  # already in: fine
    r = m.post(f"/api/v1/rooms/{room['id']}/leave")
    assert r.status_code == 200
    assert r.json()["is_member"] is False
    assert m.post(f"/api/v1/rooms/{room['id']}/leave").status_code == 403
    r = o.post(f"/api/v1/rooms/{room['id']}/leave")
    assert r.status_code == 409
    assert error_of(r)["code"] == "owner_cannot_leave"
    assert m.post("/api/v1/rooms/999999/join").status_code == 404


def test_leaving_a_private_room_answers_a_whole_room() -> None:
    """The leaver can no longer read a private room, so the answer is built from what they
    saw; it is still a whole `RoomOut` (it lacked `members_can_invite`)."""
    o, m = client_for(make_user("owner")), client_for(make_user("member"))
    room = create(o, "den", visibility="private")
    r = o.post(f"/api/v1/rooms/{room['id']}/members", {"username": "member"}, format="json")
    assert r.status_code == 201
    r = m.post(f"/api/v1/rooms/{room['id']}/leave")
    assert r.status_code == 200
    left = RoomOut.model_validate(r.json())
    assert (left.is_member, left.members_can_invite, left.last_read_seq) == (False, False, None)


def test_owner_adds_and_removes_members_of_a_private_room() -> None:
    owner, carol, dan = make_user("owner2"), make_user("carol"), make_user("dan")
    o, c, d = client_for(owner), client_for(carol), client_for(dan)
    room = create(o, "team", visibility="private")
    rid = room["id"]
    r = o.post(f"/api/v1/rooms/{rid}/members", {"username": "CAROL"}, format="json")
    assert r.status_code == 201
    assert r.json()["user"]["username"] == "carol"
    assert o.post(f"/api/v1/rooms/{rid}/members", {"username": "carol"}, format="json").status_code == 409
    r = o.post(f"/api/v1/rooms/{rid}/members", {"username": "nobody"}, format="json")
    assert r.status_code == 404
    assert "username" in error_of(r)["fields"]
    assert c.post(f"/api/v1/rooms/{rid}/members", {"username": "dan"}, format="json").status_code == 403
    assert d.get(f"/api/v1/rooms/{rid}/members").status_code == 404
    members = c.get(f"/api/v1/rooms/{rid}/members").json()["members"]
    assert {m["user"]["username"]: m["is_owner"] for m in members} == {
        "owner2": True,
        "carol": False,
    }
    assert c.get(f"/api/v1/rooms/{rid}").status_code == 200
    assert c.delete(f"/api/v1/rooms/{rid}/members/{owner.pk}").status_code == 403
    assert o.delete(f"/api/v1/rooms/{rid}/members/{carol.pk}").status_code == 204
    assert c.get(f"/api/v1/rooms/{rid}").status_code == 404
    assert c.get(f"/api/v1/rooms/{rid}/messages").status_code == 404
    assert o.delete(f"/api/v1/rooms/{rid}/members/{carol.pk}").status_code == 404


def test_a_member_may_remove_themselves() -> None:
    o, m = make_user(), make_user()
    room = create(client_for(o), "selfremove")
    client_for(m).post(f"/api/v1/rooms/{room['id']}/join")
    assert client_for(m).delete(f"/api/v1/rooms/{room['id']}/members/{m.pk}").status_code == 204
    assert client_for(o).get(f"/api/v1/rooms/{room['id']}").json()["member_count"] == 1


def test_guests_can_create_and_join_rooms() -> None:
    guest = client_for(make_guest("Wanderer"))
    room = create(guest, "guest-made")
    assert room["owner"]["is_guest"] is True


@pytest.mark.django_db
def test_a_leading_hash_is_not_part_of_a_rooms_name_so_no_screen_shows_two() -> None:
    """People type "#lounge" because every client shows rooms as #name; stored as typed,
    the report queue showed "##lounge". The '#' is dropped on create and rename alike."""
    from parley.testing.api import client_for, error_of, make_user

    owner, member, staff = make_user(), make_user(), make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    api = client_for(owner)
    r = api.post("/api/v1/rooms", {"name": "#lounge", "visibility": "public"}, format="json")
    assert r.status_code == 201 and r.json()["name"] == "lounge"
    room = r.json()["id"]
    taken = api.post("/api/v1/rooms", {"name": "lounge"}, format="json")
    assert taken.status_code == 409 and error_of(taken)["code"] == "name_taken"
    assert client_for(member).post(f"/api/v1/rooms/{room}/join").status_code == 200
    said = (
        client_for(member)
        .post(f"/api/v1/rooms/{room}/messages", {"body": "spam", "client_id": "h-1"}, format="json")
        .json()
    )
    assert client_for(owner).post(
        f"/api/v1/messages/{said['id']}/reports", {"category": "spam"}, format="json"
    ).status_code in (200, 201)
    queue = client_for(staff).get("/api/v1/reports").json()
    assert [x["room"]["name"] for x in queue["results"]] == ["lounge"]

    renamed = api.patch(f"/api/v1/rooms/{room}", {"name": "  ## den"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "den"
    spaced = api.patch(f"/api/v1/rooms/{room}", {"name": "# #den"}, format="json")
    assert spaced.status_code == 200 and spaced.json()["name"] == "den"
    blank = api.patch(f"/api/v1/rooms/{room}", {"name": "###"}, format="json")
    assert blank.status_code == 400 and "name" in error_of(blank)["fields"]
