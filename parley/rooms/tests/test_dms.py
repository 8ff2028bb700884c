"""Direct messages over REST: one conversation per set of people, fixed members,
hide-on-leave, the per-room notification setting, mark-all-read, and the people search."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.accounts.models import User
from parley.rooms import services as rooms_services
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db


def open_dm(client: Any, *users: User, status: int | None = None) -> dict[str, Any]:
    r = client.post("/api/v1/dms", {"user_ids": [u.pk for u in users]}, format="json")
    if status is not None:
        assert r.status_code == status, r.content
    return r.json()  # type: ignore[no-any-return]


def send(client: Any, room_id: int, body: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{room_id}/messages", {"body": body}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def test_the_same_people_get_the_same_conversation_whoever_opens_it() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    first = open_dm(client_for(ann), bob, status=201)
    assert first["kind"] == "direct" and first["visibility"] == "private"
    assert {u["username"] for u in first["dm_members"]} == {"ann", "bob"}
    assert first["member_count"] == 2 and first["is_member"] is True
    # The caller is implied, may be named, and the order does not matter.
    assert open_dm(client_for(bob), ann, status=200)["id"] == first["id"]
    assert open_dm(client_for(ann), bob, ann, status=200)["id"] == first["id"]
    # Another set of people is another conversation.
    group = open_dm(client_for(ann), cat, bob, status=201)
    assert group["id"] != first["id"] and group["member_count"] == 3
    assert open_dm(client_for(cat), bob, ann, status=200)["id"] == group["id"]


def test_rooms_say_their_kind() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    a = client_for(ann)
    room = a.post("/api/v1/rooms", {"name": "lounge"}, format="json").json()
    assert room["kind"] == "room" and room["dm_members"] == []
    dm = open_dm(a, bob, status=201)
    main = rooms_services.main_room()
    kinds = {r["id"]: r["kind"] for r in a.get("/api/v1/rooms").json() if main is None or r["id"] != main.pk}
    assert kinds == {room["id"]: "room", dm["id"]: "direct"}


@pytest.mark.parametrize(
    ("make_payload", "field_code"),
    [
        (lambda me, others: {"user_ids": []}, "invalid"),
        (lambda me, others: {"user_ids": [me.pk]}, "no_people"),
        (lambda me, others: {"user_ids": [o.pk for o in others[:8]]}, "too_many_people"),
        (lambda me, others: {"user_ids": [others[0].pk, 999999]}, "unknown_user"),
        (lambda me, others: {"user_ids": ["x"]}, "invalid"),
        (lambda me, others: {}, "invalid"),
    ],
)
def test_bad_sets_of_people_are_refused(make_payload: Any, field_code: str) -> None:
    me = make_user("myself")
    others = [make_user(f"person{i}") for i in range(8)]
    r = client_for(me).post("/api/v1/dms", make_payload(me, others), format="json")
    assert r.status_code == 400, r.content
    assert error_of(r)["code"] == field_code
    assert any(f.startswith("user_ids") for f in error_of(r)["fields"])


def test_eight_people_is_the_most() -> None:
    me = make_user("myself")
    others = [make_user(f"person{i}") for i in range(7)]
    assert open_dm(client_for(me), *others, status=201)["member_count"] == 8


def test_deactivated_people_and_guests_cannot_be_written_to_and_guests_cannot_write() -> None:
    me, gone, guest = make_user("myself"), make_user("gone"), make_guest("visitor")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for target in (gone, guest):
        r = client_for(me).post("/api/v1/dms", {"user_ids": [target.pk]}, format="json")
        assert r.status_code == 400 and error_of(r)["code"] == "unknown_user"
    r = client_for(guest).post("/api/v1/dms", {"user_ids": [me.pk]}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "guest"


def test_outsiders_never_see_a_dm() -> None:
    ann, bob, eve = make_user("ann"), make_user("bob"), make_user("eve")
    dm = open_dm(client_for(ann), bob, status=201)
    send(client_for(ann), dm["id"], "just us")
    e = client_for(eve)
    assert dm["id"] not in {r["id"] for r in e.get("/api/v1/rooms").json()}
    assert dm["id"] not in {r["id"] for r in e.get("/api/v1/rooms?joined=false").json()}
    for path in ("", "/messages", "/members"):
        assert e.get(f"/api/v1/rooms/{dm['id']}{path}").status_code == 404
    assert e.post(f"/api/v1/rooms/{dm['id']}/join").status_code == 404
    assert e.post(f"/api/v1/rooms/{dm['id']}/messages", {"body": "hi"}, format="json").status_code == 404
    assert e.get("/api/v1/search?q=just").json()["results"] == []


def test_dm_names_do_not_clash_with_rooms_or_each_other() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    for u in (bob, cat):  # two different people with one display name
        u.display_name = "Sam"
        u.save(update_fields=["display_name"])
    first = open_dm(client_for(ann), bob, status=201)
    second = open_dm(client_for(ann), cat, status=201)
    assert first["name"] == second["name"]
    # A room may take the name a DM stores; rooms still clash with rooms.
    a = client_for(ann)
    assert a.post("/api/v1/rooms", {"name": first["name"]}, format="json").status_code == 201
    assert a.post("/api/v1/rooms", {"name": first["name"].upper()}, format="json").status_code == 409


def test_the_people_of_a_dm_are_fixed() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    a, b = client_for(ann), client_for(bob)
    dm = open_dm(a, bob, status=201)
    url = f"/api/v1/rooms/{dm['id']}"
    refusals = [
        a.post(url + "/members", {"username": "cat"}, format="json"),
        a.delete(url + f"/members/{bob.pk}"),
        b.delete(url + f"/members/{ann.pk}"),
        a.patch(url, {"name": "secret club"}, format="json"),
        a.patch(url, {"topic": "x"}, format="json"),
        a.patch(url, {"visibility": "public"}, format="json"),
        a.post(url + "/transfer", {"user_id": bob.pk}, format="json"),
        a.delete(url),
    ]
    for r in refusals:
        assert r.status_code == 400, r.content
        assert error_of(r)["code"] == "direct_fixed"
    after = a.get(url).json()
    assert after["member_count"] == 2 and after["closed"] is False and after["visibility"] == "private"
    assert after["name"] == dm["name"]
    assert cat.pk not in {m["user"]["id"] for m in a.get(url + "/members").json()["members"]}
    assert a.post(url + "/join").status_code == 200  # already in: nothing to do


def test_leaving_a_dm_hides_it_until_its_next_message() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    a, b = client_for(ann), client_for(bob)
    dm = open_dm(a, bob, status=201)
    url = f"/api/v1/rooms/{dm['id']}"
    r = a.post(url + "/leave")
    assert r.status_code == 200
    assert r.json()["hidden"] is True and r.json()["is_member"] is True
    assert a.get(url).json()["hidden"] is True
    assert b.get(url).json()["hidden"] is False  # hidden for the leaver only
    assert a.get(url + "/members").json()["members"].__len__() == 2  # still one of its people

    send(b, dm["id"], "are you there?")
    back = a.get(url).json()
    assert back["hidden"] is False and back["unread_count"] == 1

    a.post(url + "/leave")
    assert open_dm(a, bob, status=200)["hidden"] is False  # opening it again brings it back


def test_a_send_in_a_dm_costs_one_more_statement_than_in_a_room() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    a = client_for(ann)
    room = a.post("/api/v1/rooms", {"name": "lounge"}, format="json").json()
    dm = open_dm(a, bob, status=201)
    send(a, room["id"], "warm up")
    send(a, dm["id"], "warm up")
    with CaptureQueriesContext(connection) as in_room:
        send(a, room["id"], "hello")
    with CaptureQueriesContext(connection) as in_dm:
        send(a, dm["id"], "hello")
    assert len(in_dm.captured_queries) == len(in_room.captured_queries) + 1


def test_mentions_in_a_dm_count() -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    dm = open_dm(client_for(ann), bob, cat, status=201)
    send(client_for(ann), dm["id"], "@bob look at this")
    send(client_for(ann), dm["id"], "and this")
    seen = client_for(bob).get(f"/api/v1/rooms/{dm['id']}").json()
    assert seen["unread_count"] == 2 and seen["mention_count"] == 1
    assert client_for(cat).get(f"/api/v1/rooms/{dm['id']}").json()["mention_count"] == 0


# --- the per-room notification setting ----------------------------------------------------


def test_notify_defaults_to_all_in_dms_and_mentions_in_rooms_and_can_be_changed() -> None:
    ann, bob = make_user("ann"), make_user("bob")
    a, b = client_for(ann), client_for(bob)
    room = a.post("/api/v1/rooms", {"name": "lounge"}, format="json").json()
    b.post(f"/api/v1/rooms/{room['id']}/join")
    dm = open_dm(a, bob, status=201)
    assert room["notify"] == "mentions" and dm["notify"] == "all"
    assert b.get(f"/api/v1/rooms/{room['id']}").json()["notify"] == "mentions"

    r = b.patch(f"/api/v1/rooms/{dm['id']}/membership", {"notify": "nothing"}, format="json")
    assert r.status_code == 200 and r.json()["notify"] == "nothing"
    assert a.get(f"/api/v1/rooms/{dm['id']}").json()["notify"] == "all"  # mine is mine
    main = rooms_services.main_room()
    listed = {
        x["id"]: x["notify"] for x in b.get("/api/v1/rooms").json() if main is None or x["id"] != main.pk
    }
    assert listed == {room["id"]: "mentions", dm["id"]: "nothing"}


def test_notify_setting_refuses_bad_input_and_strangers() -> None:
    ann, eve = make_user("ann"), make_user("eve")
    a = client_for(ann)
    room = a.post("/api/v1/rooms", {"name": "lounge"}, format="json").json()
    url = f"/api/v1/rooms/{room['id']}/membership"
    r = a.patch(url, {"notify": "sometimes"}, format="json")
    assert r.status_code == 400 and "notify" in error_of(r)["fields"]
    r = a.patch(url, {"hidden": True}, format="json")
    assert r.status_code == 400 and error_of(r)["code"] == "not_direct"
    assert (
        client_for(eve).patch(url, {"notify": "all"}, format="json").status_code == 403
    )  # public, not joined
    private = a.post("/api/v1/rooms", {"name": "hush", "visibility": "private"}, format="json").json()
    r = client_for(eve).patch(f"/api/v1/rooms/{private['id']}/membership", {"notify": "all"}, format="json")
    assert r.status_code == 404
    assert a.get(f"/api/v1/rooms/{room['id']}").json()["notify"] == "mentions"  # nothing changed


# --- mark all as read -----------------------------------------------------------------------


def _busy_rooms(reader: User, writer: User, n: int) -> list[int]:
    w, r = client_for(writer), client_for(reader)
    ids = []
    for i in range(n):
        room = w.post("/api/v1/rooms", {"name": f"busy {reader.username} {i}"}, format="json").json()
        r.post(f"/api/v1/rooms/{room['id']}/join")
        send(w, room["id"], f"@{reader.username} news {i}")
        ids.append(room["id"])
    return ids


def test_mark_all_as_read_clears_every_room_at_a_constant_cost() -> None:
    ann, bob, writer = make_user("ann"), make_user("bob"), make_user("writer")
    few = _busy_rooms(ann, writer, 2)
    dm = open_dm(client_for(writer), ann, status=201)
    send(client_for(writer), dm["id"], "psst")
    many = _busy_rooms(bob, writer, 6)
    a, b = client_for(ann), client_for(bob)
    assert sum(r["unread_count"] for r in a.get("/api/v1/rooms").json()) == 3

    with CaptureQueriesContext(connection) as small:
        r = a.post("/api/v1/rooms/read-all")
    assert r.status_code == 200 and r.json()["rooms"] == sorted([*few, dm["id"]])
    with CaptureQueriesContext(connection) as large:
        assert b.post("/api/v1/rooms/read-all").json()["rooms"] == many
    assert len(large.captured_queries) == len(small.captured_queries)

    for client in (a, b):
        rooms = client.get("/api/v1/rooms?joined=true").json()
        assert all(x["unread_count"] == 0 and x["mention_count"] == 0 for x in rooms)
        assert all(x["last_read_seq"] == x["last_seq"] for x in rooms)
    assert a.post("/api/v1/rooms/read-all").json()["rooms"] == []  # nothing left to move
    send(client_for(writer), few[0], "later")
    assert a.get(f"/api/v1/rooms/{few[0]}").json()["unread_count"] == 1  # new ones are unread again


def test_mark_all_as_read_needs_a_sign_in() -> None:
    r = client_for().post("/api/v1/rooms/read-all")
    assert r.status_code in (401, 403) and error_of(r)["code"]


# --- the people search -----------------------------------------------------------------------


def test_people_search_finds_active_accounts_by_username_or_display_name() -> None:
    me = make_user("myself")
    alice, malik = make_user("alice"), make_user("malik")
    bert = make_user("bert")
    bert.display_name = "Albert"
    bert.save(update_fields=["display_name"])
    gone = make_user("alina")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_guest("alfie")
    c = client_for(me)
    found = c.get("/api/v1/users?q=al").json()
    names = [u["username"] for u in found["results"]]
    assert set(names) == {alice.username, malik.username, bert.username}
    assert names[-1] == "malik"  # a prefix match comes before a match inside the name
    assert found["has_more"] is False
    assert "myself" not in [u["username"] for u in c.get("/api/v1/users").json()["results"]]


def test_people_search_pages_and_validates() -> None:
    me = make_user("myself")
    for i in range(5):
        make_user(f"zed{i}")
    c = client_for(me)
    page = c.get("/api/v1/users?q=zed&limit=2").json()
    assert [u["username"] for u in page["results"]] == ["zed0", "zed1"] and page["has_more"] is True
    last = c.get("/api/v1/users?q=zed&limit=2&offset=4").json()
    assert [u["username"] for u in last["results"]] == ["zed4"] and last["has_more"] is False
    for bad in ("limit=0", "limit=500", "offset=-1", "q=" + "x" * 65):
        r = c.get(f"/api/v1/users?{bad}")
        assert r.status_code == 400 and error_of(r)["fields"], bad
    assert client_for().get("/api/v1/users").status_code in (401, 403)


def test_guests_cannot_list_registered_people() -> None:
    make_user("alice")
    r = client_for(make_guest("lurker")).get("/api/v1/users?q=a")
    assert r.status_code == 403 and error_of(r)["code"] == "guest"


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_of_the_same_dm_make_one_room() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent writers (the services pass, PostgreSQL)")
    ann, bob = make_user("ann"), make_user("bob")
    barrier = threading.Barrier(4)
    answers: list[tuple[int, int]] = []
    lock = threading.Lock()

    def opener(user: User, other: User) -> None:
        try:
            client = client_for(user)
            barrier.wait()
            r = client.post("/api/v1/dms", {"user_ids": [other.pk]}, format="json")
            with lock:
                answers.append((r.status_code, r.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=opener, args=(a, b)) for a, b in [(ann, bob), (bob, ann)] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4
    assert len({room_id for _status, room_id in answers}) == 1
    assert sorted(status for status, _id in answers).count(201) == 1
    assert {status for status, _id in answers} <= {200, 201}


def test_ids_out_of_range_are_refused_not_crashed_on() -> None:
    c = client_for(make_user("ranger"))
    for bad in (0, -5, 2**63, 10**30):
        r = c.post("/api/v1/dms", {"user_ids": [bad]}, format="json")
        assert r.status_code == 400, (bad, r.content)
        assert any(f.startswith("user_ids") for f in error_of(r)["fields"])
