"""Protocol 2 through the REST API: edit, delete, reactions, replies, mentions, around_seq."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.messaging.models import Mention, Message, MessageEdit, Reaction, RoomEvent
from parley.messaging.services import SendRequest, message_send_batch
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, Any]:
    owner, alice, bob = make_user("owner"), make_user("alice"), make_user("Bob")
    o, a, b = client_for(owner), client_for(alice), client_for(bob)
    room = o.post("/api/v1/rooms", {"name": "chat"}, format="json").json()
    for c in (a, b):
        c.post(f"/api/v1/rooms/{room['id']}/join")
    return {"owner": owner, "alice": alice, "bob": bob, "o": o, "a": a, "b": b, "rid": room["id"]}


def send(client: Any, rid: int, body: str, **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body, **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def history(client: Any, rid: int, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/rooms/{rid}/messages", params)
    assert r.status_code == 200, r.content
    return r.json()  # type: ignore[no-any-return]


def events(client: Any, rid: int, after: int = 0) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/rooms/{rid}/events", {"after_seq": after, "limit": 500}).json()["events"]  # type: ignore[no-any-return]


def react(client: Any, mid: int, emoji: str, method: str = "post") -> Any:
    return getattr(client, method)(f"/api/v1/messages/{mid}/reactions/{quote(emoji)}")


# --- edit ---------------------------------------------------------------------------


def test_the_author_edits_and_the_room_logs_message_updated(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "helo")
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "hello"}, format="json")
    assert r.status_code == 200, r.content
    edited = r.json()
    assert edited["body"] == "hello" and edited["edited_at"] is not None
    assert (edited["id"], edited["seq"]) == (msg["id"], msg["seq"])  # the message keeps its place
    log = events(w["b"], w["rid"])
    assert [e["type"] for e in log] == ["message", "message.updated"]
    assert log[1]["seq"] == 2 and log[1]["message"]["body"] == "hello"
    assert history(w["b"], w["rid"])["messages"][0]["body"] == "hello"
    audit = MessageEdit.objects.get()
    assert (audit.body_before, audit.editor, audit.action) == ("helo", w["alice"], "edit")


def test_only_the_author_edits(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "mine")
    for client in (w["b"], w["o"]):  # not even the owner
        r = client.patch(f"/api/v1/messages/{msg['id']}", {"body": "yours"}, format="json")
        assert r.status_code == 403 and error_of(r)["code"] == "not_author"
    assert Message.objects.get().body == "mine"


@pytest.mark.parametrize(
    ("body", "status", "code"), [("", 400, "invalid"), ("  ", 400, "invalid"), ("x" * 4001, 413, "too_large")]
)
def test_edits_are_validated_like_sends(w: dict[str, Any], body: str, status: int, code: str) -> None:
    msg = send(w["a"], w["rid"], "fine")
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": body}, format="json")
    assert (r.status_code, error_of(r)["code"]) == (status, code)


def test_an_edit_that_changes_nothing_logs_nothing(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "same")
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "same"}, format="json")
    assert r.status_code == 200 and r.json()["edited_at"] is None
    assert RoomEvent.objects.count() == 1


def test_the_edit_window(w: dict[str, Any], settings: Any) -> None:
    settings.MESSAGE_EDIT_WINDOW = 60
    msg = send(w["a"], w["rid"], "quick")
    assert w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "fix"}, format="json").status_code == 200
    Message.objects.filter(pk=msg["id"]).update(
        created_at=Message.objects.get().created_at - timedelta(seconds=61)
    )
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "late"}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "edit_window_closed"
    assert "60 seconds" in error_of(r)["message"]


def test_edits_and_deletes_of_missing_or_deleted_messages(w: dict[str, Any]) -> None:
    assert w["a"].patch("/api/v1/messages/999999", {"body": "x"}, format="json").status_code == 404
    assert w["a"].delete("/api/v1/messages/999999").status_code == 404
    for beyond in (2**63, 10**30):  # no column holds it: no such message, not a server error
        assert w["a"].patch(f"/api/v1/messages/{beyond}", {"body": "x"}, format="json").status_code == 404
        assert w["a"].delete(f"/api/v1/messages/{beyond}").status_code == 404
        assert w["a"].post(f"/api/v1/messages/{beyond}/reactions/👍").status_code == 404
    msg = send(w["a"], w["rid"], "bye")
    assert w["a"].delete(f"/api/v1/messages/{msg['id']}").status_code == 204
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "back"}, format="json")
    assert r.status_code == 409 and error_of(r)["code"] == "message_deleted"
    assert w["a"].delete(f"/api/v1/messages/{msg['id']}").status_code == 204  # idempotent
    assert [e["type"] for e in events(w["a"], w["rid"])] == ["message", "message.deleted"]


def test_closed_rooms_refuse_edits_deletes_and_reactions(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "before closing")
    assert w["o"].delete(f"/api/v1/rooms/{w['rid']}").status_code == 204
    calls = [
        w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "after"}, format="json"),
        w["a"].delete(f"/api/v1/messages/{msg['id']}"),
        react(w["a"], msg["id"], "👍"),
        react(w["a"], msg["id"], "👍", "delete"),
    ]
    assert [(r.status_code, error_of(r)["code"]) for r in calls] == [(409, "room_closed")] * 4


# --- delete ---------------------------------------------------------------------------


def test_who_may_delete(w: dict[str, Any]) -> None:
    staff = make_user("mod")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    by_author, by_owner, by_staff, kept = (send(w["a"], w["rid"], f"m{i}") for i in range(4))
    r = w["b"].delete(f"/api/v1/messages/{kept['id']}")
    assert r.status_code == 403  # another member
    assert w["a"].delete(f"/api/v1/messages/{by_author['id']}").status_code == 204
    assert w["o"].delete(f"/api/v1/messages/{by_owner['id']}").status_code == 204
    assert client_for(staff).delete(f"/api/v1/messages/{by_staff['id']}").status_code == 204  # not a member
    page = history(w["b"], w["rid"])["messages"]
    assert [m["deleted"] for m in page] == [True, True, True, False]


def test_a_deleted_message_is_a_tombstone_and_its_text_is_gone_everywhere(w: dict[str, Any]) -> None:
    secret = "the launch code is 0000"
    msg = send(w["a"], w["rid"], secret + " @bob")
    w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": secret + " (edited) @Bob"}, format="json")
    react(w["b"], msg["id"], "👍")
    reply = send(w["b"], w["rid"], "what?", reply_to=msg["id"])
    assert reply["reply_to"]["excerpt"].startswith(secret)
    assert w["b"].get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] == 1
    assert w["a"].delete(f"/api/v1/messages/{msg['id']}").status_code == 204

    page = history(w["b"], w["rid"])["messages"]
    tomb, answer = page
    assert tomb["deleted"] is True and tomb["body"] == "" and tomb["reactions"] == []
    assert tomb["mentions"] == [] and tomb["seq"] == msg["seq"]
    assert answer["reply_to"] == {
        "id": msg["id"],
        "seq": msg["seq"],
        "sender": msg["sender"],
        "excerpt": "",
        "deleted": True,
    }
    assert w["b"].get("/api/v1/search", {"q": "launch"}).json()["results"] == []
    log = events(w["b"], w["rid"])
    assert [e["type"] for e in log] == [
        "message",
        "message.updated",
        "reaction",
        "message",
        "message.deleted",
    ]
    assert log[-1] == {"type": "message.deleted", "room": w["rid"], "seq": 5, "id": msg["id"]}
    assert log[0]["message"]["deleted"] is True and log[0]["seq"] == 1  # rewritten in place
    everything = str(log) + str(page) + str(w["b"].get(f"/api/v1/rooms/{w['rid']}/messages").content)
    assert "launch" not in everything
    assert not Reaction.objects.exists() and not Mention.objects.exists()
    assert w["b"].get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] == 0
    # Staff keep the versions.
    assert [e.body_before for e in MessageEdit.objects.order_by("id")] == [
        secret + " @bob",
        secret + " (edited) @Bob",
    ]


# --- reactions --------------------------------------------------------------------------


def test_reactions_are_idempotent_per_user_and_emoji(w: dict[str, Any]) -> None:
    msg = send(w["o"], w["rid"], "vote")
    a, b = {"id": w["alice"].pk, "display_name": "alice"}, {"id": w["bob"].pk, "display_name": "Bob"}
    r = react(w["a"], msg["id"], "👍")
    assert r.status_code == 200 and r.json() == {
        "reactions": [{"emoji": "👍", "count": 1, "me": True, "users": [a]}]
    }
    assert react(w["a"], msg["id"], "👍").json() == r.json()  # again: nothing changes
    assert react(w["b"], msg["id"], "👍").json() == {
        "reactions": [{"emoji": "👍", "count": 2, "me": True, "users": [a, b]}]
    }
    both = react(w["b"], msg["id"], "🎉").json()["reactions"]
    assert both == [
        {"emoji": "👍", "count": 2, "me": True, "users": [a, b]},
        {"emoji": "🎉", "count": 1, "me": True, "users": [b]},
    ]
    assert [e["type"] for e in events(w["a"], w["rid"])] == ["message", "reaction", "reaction", "reaction"]
    mine = history(w["a"], w["rid"])["messages"][0]["reactions"]
    assert mine == [
        {"emoji": "👍", "count": 2, "me": True, "users": [a, b]},
        {"emoji": "🎉", "count": 1, "me": False, "users": [b]},
    ]
    gone = react(w["a"], msg["id"], "👍", "delete").json()["reactions"]
    assert gone[0] == {"emoji": "👍", "count": 1, "me": False, "users": [b]}
    assert react(w["a"], msg["id"], "👍", "delete").json()["reactions"] == gone  # idempotent too
    log = events(w["a"], w["rid"])
    assert len(log) == 5
    assert {k: log[-1][k] for k in ("type", "seq", "message_id", "emoji", "op")} == {
        "type": "reaction",
        "seq": 5,
        "message_id": msg["id"],
        "emoji": "👍",
        "op": "remove",
    }
    assert log[-1]["user"]["username"] == "alice"


@pytest.mark.parametrize("emoji", ["👍🏽", "❤️", "👨‍👩‍👧", "🇫🇷"])
def test_emoji_of_the_unicode_set_are_accepted(w: dict[str, Any], emoji: str) -> None:
    msg = send(w["o"], w["rid"], "react")
    assert react(w["a"], msg["id"], emoji).json()["reactions"][0]["emoji"] == emoji


@pytest.mark.parametrize("emoji", ["a", "👍👍", "smile", ":+1:", "<b>", "x" * 40])
def test_anything_but_one_emoji_is_refused(w: dict[str, Any], emoji: str) -> None:
    msg = send(w["o"], w["rid"], "react")
    r = react(w["a"], msg["id"], emoji)
    assert r.status_code == 400 and "emoji" in error_of(r)["fields"]


def test_reactions_on_deleted_messages_are_refused(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "short-lived")
    w["a"].delete(f"/api/v1/messages/{msg['id']}")
    r = react(w["b"], msg["id"], "👍")
    assert r.status_code == 409 and error_of(r)["code"] == "message_deleted"


def test_a_reaction_is_one_statement_and_one_event(w: dict[str, Any]) -> None:
    msg = send(w["o"], w["rid"], "count me")
    react(w["a"], msg["id"], "🎉")
    with CaptureQueriesContext(connection) as q:
        react(w["a"], msg["id"], "👍")
    sql = [x["sql"] for x in q.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    writes = [s for s in sql if not s.lstrip().upper().startswith("SELECT")]
    # The reaction, the room's seq, the event; reads: token, the message's room (and on
    # PostgreSQL its row lock), the room lock (on PostgreSQL last, just for the seq: an
    # edit or a reaction does not hold up the room's sends), the message, membership, and
    # the reactions answered.
    assert len(writes) == 3, writes
    assert len(sql) == 9, sql
    with CaptureQueriesContext(connection) as again:
        react(w["a"], msg["id"], "👍")  # nothing to do: no seq, no event (nor a room lock for them)
    repeat = [x for x in again.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # ... but one read more: was it already there, or was the message at its cap of different emoji?
    assert len(repeat) == len(sql) - (2 if connection.vendor == "postgresql" else 1)


def test_a_message_takes_at_most_twenty_different_reactions(w: dict[str, Any]) -> None:
    from parley.messaging.services import REACTIONS_MAX_DISTINCT

    msg = send(w["o"], w["rid"], "react to me")
    emoji = list("😀😃😄😁😆😅😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙😋😛")
    assert REACTIONS_MAX_DISTINCT == 20
    for e in emoji[:20]:
        assert react(w["a"], msg["id"], e).status_code == 200
    refused = react(w["b"], msg["id"], emoji[20])
    assert refused.status_code == 409 and error_of(refused)["code"] == "too_many_reactions"
    assert "20" in error_of(refused)["message"]
    # An emoji already on the message can still be added by anyone else, and a repeat is fine.
    assert react(w["b"], msg["id"], emoji[0]).status_code == 200
    assert react(w["a"], msg["id"], emoji[0]).status_code == 200
    counts = {
        r["emoji"]: r["count"]
        for r in w["b"].get(f"/api/v1/rooms/{w['rid']}/messages").json()["messages"][-1]["reactions"]
    }
    assert len(counts) == 20 and counts[emoji[0]] == 2


# --- history cost with reactions -----------------------------------------------------------


def test_history_loads_a_pages_reactions_in_one_query(w: dict[str, Any]) -> None:
    ids = [send(w["o"], w["rid"], f"m{i}")["id"] for i in range(30)]
    url = f"/api/v1/rooms/{w['rid']}/messages"
    with CaptureQueriesContext(connection) as q_bare:
        w["a"].get(url, {"limit": 30})
    for mid in ids:
        for client, emoji in ((w["a"], "👍"), (w["b"], "👍"), (w["b"], "🎉")):
            react(client, mid, emoji)
    reply = send(w["a"], w["rid"], "a reply", reply_to=ids[0])
    with CaptureQueriesContext(connection) as q_small:
        w["a"].get(url, {"limit": 2})
    with CaptureQueriesContext(connection) as q_big:
        page = w["a"].get(url, {"limit": 30}).json()["messages"]
    assert len(q_big) == len(q_small) == len(q_bare) == 5  # token, room, membership, page, reactions
    assert page[-1]["id"] == reply["id"] and page[-1]["reply_to"]["id"] == ids[0]
    a, b = {"id": w["alice"].pk, "display_name": "alice"}, {"id": w["bob"].pk, "display_name": "Bob"}
    assert page[0]["reactions"] == [
        {"emoji": "👍", "count": 2, "me": True, "users": [a, b]},
        {"emoji": "🎉", "count": 1, "me": False, "users": [b]},
    ]


def test_who_reacted_is_capped_and_still_one_query(w: dict[str, Any]) -> None:
    """`users` names the first 20 who reacted (oldest first) while `count` counts everyone,
    and however many reacted, the page's reactions stay one query."""
    msg = send(w["o"], w["rid"], "popular")
    url = f"/api/v1/rooms/{w['rid']}/messages"
    with CaptureQueriesContext(connection) as q_one:
        w["a"].get(url, {"limit": 10})
    fans = [make_user(f"fan{i:02d}") for i in range(25)]
    for fan in fans:
        c = client_for(fan)
        c.post(f"/api/v1/rooms/{w['rid']}/join")
        assert react(c, msg["id"], "👍").status_code == 200
    react(w["a"], msg["id"], "🎉")
    with CaptureQueriesContext(connection) as q_many:
        page = w["a"].get(url, {"limit": 10}).json()["messages"]
    assert len(q_many) == len(q_one)
    thumbs, party = page[0]["reactions"]
    assert (thumbs["emoji"], thumbs["count"], thumbs["me"]) == ("👍", 25, False)
    assert [u["display_name"] for u in thumbs["users"]] == [f"fan{i:02d}" for i in range(20)]
    assert thumbs["users"][0]["id"] == fans[0].pk
    assert party == {
        "emoji": "🎉",
        "count": 1,
        "me": True,
        "users": [{"id": w["alice"].pk, "display_name": "alice"}],
    }


# --- replies ---------------------------------------------------------------------------------


def test_replies_quote_the_start_of_the_message(w: dict[str, Any]) -> None:
    long = send(w["a"], w["rid"], "x" * 200)
    reply = send(w["b"], w["rid"], "answer", reply_to=long["id"])
    assert reply["reply_to"] == {
        "id": long["id"],
        "seq": long["seq"],
        "sender": long["sender"],
        "excerpt": "x" * 120,
        "deleted": False,
    }
    w["a"].patch(f"/api/v1/messages/{long['id']}", {"body": "changed"}, format="json")
    shown = history(w["b"], w["rid"])["messages"][-1]
    assert shown["reply_to"]["excerpt"] == "x" * 120  # as it read when the reply was sent
    assert send(w["b"], w["rid"], "plain")["reply_to"] is None


@pytest.mark.parametrize(
    ("body", "excerpt"),
    [
        ("The **release checklist** is up", "The release checklist is up"),
        (
            "Ran it:\n```python\nroom.migrate(batch=500)\n```\nAll green",
            "Ran it: room.migrate(batch=500) All green",
        ),
        ("> quoted\n- one\n- _two_ ~~three~~", "quoted one two three"),
        ("see [the docs](https://example.com/a) and `make run`", "see the docs and make run"),
        ("snake_case_name and 2*3*4 stay", "snake_case_name and 2*3*4 stay"),
        ("好的，**重要**的事情", "好的，重要的事情"),  # noqa: RUF001 (Chinese punctuation)
    ],
)
def test_a_reply_quotes_the_words_not_the_markdown_marks(w: dict[str, Any], body: str, excerpt: str) -> None:
    original = send(w["a"], w["rid"], body)
    reply = send(w["b"], w["rid"], "noted", reply_to=original["id"])
    assert reply["reply_to"]["excerpt"] == excerpt
    assert history(w["a"], w["rid"])["messages"][-1]["reply_to"]["excerpt"] == excerpt


def test_replies_to_another_room_or_nothing_are_refused(w: dict[str, Any]) -> None:
    other = w["o"].post("/api/v1/rooms", {"name": "elsewhere"}, format="json").json()
    there = send(w["o"], other["id"], "over here")
    for target in (there["id"], 999999):
        r = w["o"].post(
            f"/api/v1/rooms/{w['rid']}/messages", {"body": "re", "reply_to": target}, format="json"
        )
        assert r.status_code == 400, r.content
        assert error_of(r)["fields"] == {"reply_to": ["No such message in this room."]}
    assert Message.objects.filter(room_id=w["rid"]).count() == 0


def test_attachments_must_name_existing_uploads(w: dict[str, Any]) -> None:
    url = f"/api/v1/rooms/{w['rid']}/messages"
    assert w["a"].post(url, {"body": "no files", "attachments": []}, format="json").status_code == 201
    r = w["a"].post(url, {"body": "a file", "attachments": [1]}, format="json")
    assert r.status_code == 400 and "attachments" in error_of(r)["fields"]


# --- mentions ---------------------------------------------------------------------------------


def test_mentions_name_members_case_insensitively(w: dict[str, Any]) -> None:
    outsider = make_user("carol")
    msg = send(w["a"], w["rid"], "hi @BOB and @bob, @carol, @nobody, mail bob@example.org, @alice.")
    assert msg["mentions"] == sorted([w["bob"].pk, w["alice"].pk])  # carol is not a member
    assert outsider.pk not in msg["mentions"] and msg["mentions_room"] is False
    rooms = {r["id"]: r for r in w["b"].get("/api/v1/rooms", {"joined": "true"}).json()}
    assert rooms[w["rid"]]["mention_count"] == 1
    assert w["a"].get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] == 0  # mentioning yourself
    w["b"].post(f"/api/v1/rooms/{w['rid']}/read", {"seq": msg["seq"]}, format="json")
    assert w["b"].get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] == 0


def test_only_the_owner_mentions_the_room(w: dict[str, Any]) -> None:
    plain = send(w["a"], w["rid"], "hey @room")
    assert plain["mentions_room"] is False
    loud = send(w["o"], w["rid"], "@room meeting now")
    assert loud["mentions_room"] is True and loud["mentions"] == []
    counts = [c.get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] for c in (w["o"], w["a"], w["b"])]
    assert counts == [0, 1, 1]


def test_edits_parse_mentions_again(w: dict[str, Any]) -> None:
    msg = send(w["a"], w["rid"], "hello @bob")
    r = w["a"].patch(f"/api/v1/messages/{msg['id']}", {"body": "hello @owner"}, format="json")
    assert r.json()["mentions"] == [w["owner"].pk]
    counts = [c.get(f"/api/v1/rooms/{w['rid']}").json()["mention_count"] for c in (w["o"], w["b"])]
    assert counts == [1, 0]


def test_a_send_batch_costs_the_same_statements_whatever_its_size(w: dict[str, Any]) -> None:
    """Six statements; mentions add two (the named members, the mention rows): per batch,
    never per message or per recipient. A reply reads the replied-to messages in the same
    statement as the earlier sends (protocol 3), so it adds none; a thread reply adds one,
    the summary of its root (parley/messaging/tests/test_threads.py pins it)."""
    first = send(w["a"], w["rid"], "start")
    users = [w["alice"], w["bob"], w["owner"]]

    def counted(requests: list[SendRequest]) -> int:
        with CaptureQueriesContext(connection) as q:
            answers = message_send_batch(room_id=w["rid"], requests=requests)
        assert all(not isinstance(a, Exception) for a in answers), answers
        return len([x for x in q.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    n = iter(range(10_000))
    plain = [
        counted([SendRequest(users[i % 3], f"plain {i}", f"p{next(n)}") for i in range(k)]) for k in (1, 12)
    ]
    assert plain == [6, 6]
    rich = [
        counted(
            [
                SendRequest(users[i % 3], f"@alice @BOB @room hi {i}", f"r{next(n)}", reply_to=first["id"])
                for i in range(k)
            ]
        )
        for k in (1, 12)
    ]
    assert rich == [8, 8]
    # Bob is mentioned by the 1 + 8 messages he did not write; @room counts from the owner's 4.
    assert Mention.objects.filter(user=w["bob"]).count() == 9
    room_wide = Mention.objects.filter(user__isnull=True)
    assert room_wide.count() == 4 and {m.sender_id for m in room_wide} == {w["owner"].pk}


# --- around_seq ---------------------------------------------------------------------------------


def test_the_page_around_a_seq(w: dict[str, Any]) -> None:
    for i in range(1, 21):
        send(w["o"], w["rid"], f"m{i}")
    seqs = lambda page: [m["seq"] for m in page["messages"]]  # noqa: E731
    mid = history(w["a"], w["rid"], around_seq=10, limit=5)
    assert seqs(mid) == [8, 9, 10, 11, 12]
    assert (mid["has_more"], mid["has_more_before"], mid["has_more_after"]) == (True, True, True)
    start = history(w["a"], w["rid"], around_seq=1, limit=5)
    assert seqs(start) == [1, 2, 3, 4, 5] and (start["has_more_before"], start["has_more_after"]) == (
        False,
        True,
    )
    end = history(w["a"], w["rid"], around_seq=20, limit=5)
    assert seqs(end) == [16, 17, 18, 19, 20] and (end["has_more_before"], end["has_more_after"]) == (
        True,
        False,
    )
    assert "has_more_before" not in history(w["a"], w["rid"], limit=5)
    r = w["a"].get(f"/api/v1/rooms/{w['rid']}/messages", {"around_seq": 5, "before_seq": 9})
    assert r.status_code == 400


def test_edits_deletes_and_reactions_share_the_send_allowance(w: dict[str, Any], settings: Any) -> None:
    from parley.testing.runtime import fresh_runtime

    settings.WS_SEND_RATE, settings.WS_SEND_BURST = 0.01, 3
    msg = send(w["o"], w["rid"], "rate me")
    fresh_runtime()
    codes = [react(w["a"], msg["id"], e).status_code for e in ("👍", "🎉", "👀", "🔥")]
    assert codes == [200, 200, 200, 429]
    assert w["a"].delete(f"/api/v1/messages/{msg['id']}").status_code == 429
    assert Reaction.objects.count() == 3
