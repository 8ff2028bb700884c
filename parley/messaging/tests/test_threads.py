"""Threads (protocol 3, issue 29) through the REST API: replying, the summary, the thread view,
following, read markers, the room's flow and counts, permissions and cost."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.messaging import retention, services, summaries
from parley.messaging.models import Message, ThreadSummary
from parley.messaging.services import SendRequest, message_send_batch
from parley.realtime.shapes import MessageOut
from parley.rooms import moderation
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db

# Statements of one `GET messages/{id}/thread` page (the request's own included), either way.
PAGE_QUERIES = 10


@pytest.fixture
def w() -> dict[str, Any]:
    owner, alice, bob, carol = make_user("owner"), make_user("alice"), make_user("bob"), make_user("carol")
    o, a, b, c = (client_for(u) for u in (owner, alice, bob, carol))
    room = o.post("/api/v1/rooms", {"name": "chat"}, format="json").json()
    for client in (a, b):
        assert client.post(f"/api/v1/rooms/{room['id']}/join").status_code in (200, 201, 204)
    return {"owner": owner, "alice": alice, "bob": bob, "carol": carol, "o": o, "a": a, "b": b, "c": c,
            "rid": room["id"]}  # fmt: skip


def send(client: Any, rid: int, body: str, **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body, **extra}, format="json")
    assert r.status_code == 201, r.content
    MessageOut.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def thread(client: Any, mid: int, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/messages/{mid}/thread", params)
    assert r.status_code == 200, r.content
    for m in (r.json()["root"], *r.json()["replies"]):
        MessageOut.model_validate(m)
    return r.json()  # type: ignore[no-any-return]


def room(client: Any, rid: int) -> dict[str, Any]:
    return client.get(f"/api/v1/rooms/{rid}").json()  # type: ignore[no-any-return]


def history(client: Any, rid: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/rooms/{rid}/messages").json()["messages"]  # type: ignore[no-any-return]


def events(client: Any, rid: int, after: int = 0) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/rooms/{rid}/events", {"after_seq": after, "limit": 500}).json()["events"]  # type: ignore[no-any-return]


def threads(client: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/threads")
    assert r.status_code == 200, r.content
    return r.json()["threads"]  # type: ignore[no-any-return]


def test_a_reply_joins_the_thread_and_updates_the_roots_summary_in_the_log(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "which release?")
    assert (root["thread"], root["also_to_room"], root["thread_summary"]) == (None, False, None)
    reply = send(w["a"], w["rid"], "the next one", thread=root["id"])
    assert (reply["thread"], reply["also_to_room"], reply["thread_summary"]) == (root["id"], False, None)
    log = events(w["b"], w["rid"], after=root["seq"])
    assert [(e["type"], e["seq"]) for e in log] == [
        ("message", reply["seq"]),
        ("message.updated", reply["seq"] + 1),
    ]
    summary = log[1]["message"]["thread_summary"]
    assert log[1]["message"]["id"] == root["id"]
    assert summary["reply_count"] == 1 and summary["last_reply_seq"] == reply["seq"]
    assert [p["id"] for p in summary["participants"]] == [w["alice"].pk]
    assert summary["following"] is None  # a frame goes to everyone alike
    send(w["b"], w["rid"], "or the one after", thread=root["id"])
    again = send(w["a"], w["rid"], "no, next", thread=root["id"])
    page = thread(w["b"], root["id"])
    assert [m["body"] for m in page["replies"]] == ["the next one", "or the one after", "no, next"]
    assert page["root"]["thread_summary"]["reply_count"] == 3
    assert [p["id"] for p in page["root"]["thread_summary"]["participants"]] == [w["alice"].pk, w["bob"].pk]
    assert page["root"]["thread_summary"]["last_reply_seq"] == again["seq"]


def test_a_reply_to_a_reply_joins_the_roots_thread(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    first = send(w["a"], w["rid"], "first", thread=root["id"])
    second = send(w["b"], w["rid"], "second", thread=first["id"])
    assert second["thread"] == root["id"]
    assert thread(w["o"], first["id"])["root"]["id"] == root["id"]  # a reply's id opens its thread
    assert ThreadSummary.objects.get(root_id=root["id"]).reply_count == 2
    assert not ThreadSummary.objects.filter(root_id=first["id"]).exists()


def test_thread_replies_stay_out_of_the_rooms_flow_and_unread_count(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    w["b"].post(f"/api/v1/rooms/{w['rid']}/read", {"seq": root["seq"]}, format="json")
    send(w["a"], w["rid"], "in the thread", thread=root["id"])
    assert [m["body"] for m in history(w["b"], w["rid"])] == ["root"]
    assert room(w["b"], w["rid"])["unread_count"] == 0
    shown = send(w["a"], w["rid"], "also to the room", thread=root["id"], also_to_room=True)
    assert shown["also_to_room"] is True
    assert [m["body"] for m in history(w["b"], w["rid"])] == ["root", "also to the room"]
    assert room(w["b"], w["rid"])["unread_count"] == 1


def test_mentions_in_a_thread_count_and_follow(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    w["b"].post(f"/api/v1/rooms/{w['rid']}/read", {"seq": root["seq"]}, format="json")
    send(w["a"], w["rid"], "what do you think @bob", thread=root["id"])
    counts = room(w["b"], w["rid"])
    assert (counts["unread_count"], counts["mention_count"]) == (0, 1)
    assert [t["root"]["id"] for t in threads(w["b"])] == [root["id"]]


@pytest.mark.parametrize(
    ("extra", "field", "status", "code"),
    [({"also_to_room": True}, "also_to_room", 400, "invalid"), ({"thread": 10**9}, "thread", 400, "invalid")],
)
def test_bad_threads_are_refused(
    w: dict[str, Any], extra: dict[str, Any], field: str, status: int, code: str
) -> None:
    r = w["a"].post(f"/api/v1/rooms/{w['rid']}/messages", {"body": "x", **extra}, format="json")
    assert r.status_code == status and error_of(r)["code"] == code and field in error_of(r)["fields"]


def test_a_thread_root_in_another_room_is_refused(w: dict[str, Any]) -> None:
    other = w["o"].post("/api/v1/rooms", {"name": "elsewhere"}, format="json").json()
    w["a"].post(f"/api/v1/rooms/{other['id']}/join")
    there = send(w["a"], other["id"], "over there")
    r = w["a"].post(f"/api/v1/rooms/{w['rid']}/messages", {"body": "x", "thread": there["id"]}, format="json")
    assert r.status_code == 400 and "thread" in error_of(r)["fields"]
    assert not ThreadSummary.objects.exists()


def test_outsiders_neither_read_nor_reply(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "public root")
    send(w["a"], w["rid"], "reply", thread=root["id"])
    assert w["c"].get(f"/api/v1/messages/{root['id']}/thread").status_code == 403
    r = w["c"].post(
        f"/api/v1/rooms/{w['rid']}/messages", {"body": "me too", "thread": root["id"]}, format="json"
    )
    assert r.status_code == 403 and error_of(r)["code"] == "not_member"
    assert w["c"].post(f"/api/v1/messages/{root['id']}/follow").status_code == 403
    private = w["o"].post("/api/v1/rooms", {"name": "secret", "visibility": "private"}, format="json").json()
    hidden = send(w["o"], private["id"], "hidden root")
    assert w["c"].get(f"/api/v1/messages/{hidden['id']}/thread").status_code == 404
    assert w["c"].post(f"/api/v1/messages/{hidden['id']}/follow").status_code == 404
    assert threads(w["c"]) == []


def test_guests_take_part_in_threads(w: dict[str, Any]) -> None:
    guest = client_for(make_guest("Visitor"))
    guest.post(f"/api/v1/rooms/{w['rid']}/join")
    root = send(w["o"], w["rid"], "welcome")
    reply = send(guest, w["rid"], "thanks", thread=root["id"])
    assert reply["thread"] == root["id"]
    assert [t["root"]["id"] for t in threads(guest)] == [root["id"]]


def test_a_deleted_root_keeps_its_replies_reachable_and_takes_no_new_ones(w: dict[str, Any]) -> None:
    root = send(w["a"], w["rid"], "oops")
    send(w["b"], w["rid"], "answer", thread=root["id"])
    assert w["a"].delete(f"/api/v1/messages/{root['id']}").status_code == 204
    page = thread(w["b"], root["id"])
    assert page["root"]["deleted"] is True and page["root"]["body"] == ""
    assert page["root"]["thread_summary"]["reply_count"] == 1
    assert [m["body"] for m in page["replies"]] == ["answer"]
    r = w["b"].post(
        f"/api/v1/rooms/{w['rid']}/messages", {"body": "more", "thread": root["id"]}, format="json"
    )
    assert r.status_code == 409 and error_of(r)["code"] == "message_deleted"


def test_editing_a_root_keeps_its_summary_in_the_frame(w: dict[str, Any]) -> None:
    root = send(w["a"], w["rid"], "helo")
    send(w["b"], w["rid"], "hi", thread=root["id"])
    w["a"].patch(f"/api/v1/messages/{root['id']}", {"body": "hello"}, format="json")
    last = events(w["o"], w["rid"])[-1]
    assert last["type"] == "message.updated" and last["message"]["body"] == "hello"
    assert last["message"]["thread_summary"]["reply_count"] == 1


def test_following_is_derived_and_an_explicit_choice_stays(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    assert threads(w["o"]) == []  # no thread before its first reply
    send(w["a"], w["rid"], "reply", thread=root["id"])
    assert [t["root"]["id"] for t in threads(w["o"])] == [root["id"]]  # the root's author
    assert [t["root"]["id"] for t in threads(w["a"])] == [root["id"]]  # the replier
    assert threads(w["b"]) == []
    assert thread(w["b"], root["id"])["root"]["thread_summary"]["following"] is False
    assert thread(w["a"], root["id"])["root"]["thread_summary"]["following"] is True
    assert w["b"].post(f"/api/v1/messages/{root['id']}/follow").json() == {"following": True}
    assert [t["root"]["id"] for t in threads(w["b"])] == [root["id"]]
    assert w["a"].delete(f"/api/v1/messages/{root['id']}/follow").json() == {"following": False}
    send(w["a"], w["rid"], "replying again", thread=root["id"])
    assert threads(w["a"]) == []  # the unfollow stands
    assert history(w["a"], w["rid"])[0]["thread_summary"]["following"] is False
    assert history(w["o"], w["rid"])[0]["thread_summary"]["following"] is True


def test_unread_replies_per_thread_and_reading_a_thread(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    send(w["a"], w["rid"], "one", thread=root["id"])
    last = send(w["a"], w["rid"], "two", thread=root["id"])
    send(w["o"], w["rid"], "mine", thread=root["id"])  # the reader's own reply is not unread
    other = send(w["b"], w["rid"], "another root")
    send(w["o"], w["rid"], "newer activity", thread=other["id"])
    listed = threads(w["o"])
    assert [t["root"]["id"] for t in listed] == [other["id"], root["id"]]  # newest reply first
    assert [t["unread_count"] for t in listed] == [0, 2]
    assert listed[1]["room"] == w["rid"] and listed[1]["last_read_seq"] == 0
    r = w["o"].post(f"/api/v1/messages/{root['id']}/thread/read", {"seq": last["seq"] - 2}, format="json")
    assert r.status_code == 200 and r.json()["unread_count"] == 1
    r = w["o"].post(f"/api/v1/messages/{root['id']}/thread/read", {"seq": 10**9}, format="json")
    summary = ThreadSummary.objects.get(root_id=root["id"])
    assert r.json() == {"last_read_seq": summary.last_reply_seq, "unread_count": 0}
    back = w["o"].post(f"/api/v1/messages/{root['id']}/thread/read", {"seq": 1}, format="json")
    assert back.json()["last_read_seq"] == summary.last_reply_seq  # never back
    assert [t["unread_count"] for t in threads(w["o"])] == [0, 0]
    assert thread(w["o"], root["id"])["last_read_seq"] == summary.last_reply_seq


def test_the_thread_pages_by_seq(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    sent = [send(w["a"], w["rid"], f"r{i}", thread=root["id"]) for i in range(5)]
    first = thread(w["b"], root["id"], limit=2)
    assert [m["body"] for m in first["replies"]] == ["r0", "r1"] and first["has_more"] is True
    rest = thread(w["b"], root["id"], after_seq=first["replies"][-1]["seq"], limit=10)
    assert [m["body"] for m in rest["replies"]] == ["r2", "r3", "r4"] and rest["has_more"] is False
    assert rest["replies"][-1]["id"] == sent[-1]["id"]
    assert w["b"].get(f"/api/v1/messages/{root['id']}/thread", {"limit": 0}).status_code == 400
    assert w["b"].get("/api/v1/messages/999999/thread").status_code == 404


def _replies(w: dict[str, Any], root_id: int, n: int) -> list[int]:
    """`n` replies in the thread (batches of 40, senders in turn), their seqs in order."""
    users = [w["alice"], w["bob"], w["owner"]]
    seqs: list[int] = []
    for start in range(0, n, 40):
        batch = [
            SendRequest(users[i % 3], f"r{i}", f"t{root_id}-{i}", thread=root_id)
            for i in range(start, min(n, start + 40))
        ]
        answers = message_send_batch(room_id=w["rid"], requests=batch)
        assert all(not isinstance(a, Exception) for a in answers), answers
    seqs = list(Message.objects.filter(thread_id=root_id).order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == n
    return seqs


def test_the_thread_pages_backwards_from_its_newest_reply(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    seqs = _replies(w, root["id"], 120)
    newest = thread(w["b"], root["id"], before_seq=2**53 - 1, limit=50)  # the web client's
    assert [m["seq"] for m in newest["replies"]] == seqs[-50:] and newest["has_more"] is True
    assert newest["root"]["id"] == root["id"]
    seen: list[int] = []
    before = 2**62
    pages = 0
    while True:
        page = thread(w["b"], root["id"], before_seq=before, limit=50)
        got = [m["seq"] for m in page["replies"]]
        assert got == sorted(got)
        seen[:0] = got
        pages += 1
        if not page["has_more"]:
            break
        before = got[0]
    assert seen == seqs and pages == 3
    assert [m["body"] for m in thread(w["b"], root["id"], before_seq=seqs[2])["replies"]] == ["r0", "r1"]
    nothing = thread(w["b"], root["id"], before_seq=seqs[0])
    assert nothing["replies"] == [] and nothing["has_more"] is False
    # The forward walk is as it was: no cursor pages from the first reply, has_more = newer exist.
    first = thread(w["b"], root["id"], limit=100)
    assert [m["seq"] for m in first["replies"]] == seqs[:100] and first["has_more"] is True
    assert set(first) == {"root", "replies", "has_more", "last_read_seq", "unread_count"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"before_seq": 5, "after_seq": 0}, "before_seq"),
        ({"before_seq": 5, "after_seq": 3}, "before_seq"),
        ({"before_seq": 0}, "before_seq"),
        ({"before_seq": -1}, "before_seq"),
        ({"before_seq": "x"}, "before_seq"),
        ({"before_seq": 2**62 + 1}, "before_seq"),
        ({"before_seq": 5, "limit": 101}, "limit"),
    ],
)
def test_bad_backward_pages_are_refused(w: dict[str, Any], params: dict[str, Any], field: str) -> None:
    root = send(w["o"], w["rid"], "root")
    r = w["b"].get(f"/api/v1/messages/{root['id']}/thread", params)
    assert r.status_code == 400 and error_of(r)["code"] == "invalid" and field in error_of(r)["fields"]


def test_outsiders_cannot_page_a_thread_backwards(w: dict[str, Any]) -> None:
    private = w["o"].post("/api/v1/rooms", {"name": "inner", "visibility": "private"}, format="json").json()
    root = send(w["o"], private["id"], "secret")
    send(w["o"], private["id"], "reply", thread=root["id"])
    r = w["c"].get(f"/api/v1/messages/{root['id']}/thread", {"before_seq": 2**62})
    assert r.status_code == 404


def test_a_thread_page_costs_the_same_whichever_way_and_however_long(w: dict[str, Any]) -> None:
    """The pinned cost of a page: the same number of statements forward and backward, for a
    thread of 3 replies or of 120 (one statement for the replies, one for their reactions)."""
    short, long = send(w["o"], w["rid"], "short"), send(w["o"], w["rid"], "long")
    _replies(w, short["id"], 3)
    _replies(w, long["id"], 120)

    def counted(root_id: int, **params: Any) -> int:
        with CaptureQueriesContext(connection) as q:
            thread(w["b"], root_id, **params)
        return len(q.captured_queries)

    costs = {
        (root["id"], tuple(sorted(p.items()))): counted(root["id"], **p)
        for root in (short, long)
        for p in ({}, {"limit": 100}, {"before_seq": 2**62, "limit": 100}, {"before_seq": 60, "limit": 20})
    }
    assert len(set(costs.values())) == 1, costs
    assert next(iter(costs.values())) == PAGE_QUERIES


def test_a_thread_reply_costs_one_statement_more_than_a_message(w: dict[str, Any]) -> None:
    """The pinned cost: a plain send is six statements per batch, a thread reply seven (the
    root is read with the retries, its summary written once per batch), whatever the batch
    size, with or without `reply_to`. Naming a reply as the thread reads its root too (one
    more, only then)."""
    root = send(w["o"], w["rid"], "root")
    inner = send(w["a"], w["rid"], "inner", thread=root["id"])
    users = [w["alice"], w["bob"], w["owner"]]
    n = iter(range(10_000))

    def counted(make: Any, k: int) -> int:
        requests = [make(users[i % 3], f"c{next(n)}", i) for i in range(k)]
        with CaptureQueriesContext(connection) as q:
            answers = message_send_batch(room_id=w["rid"], requests=requests)
        assert all(not isinstance(a, Exception) for a in answers), answers
        return len([x for x in q.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    plain = [counted(lambda u, c, i: SendRequest(u, f"plain {i}", c), k) for k in (1, 12)]
    replies = [
        counted(lambda u, c, i: SendRequest(u, f"reply {i}", c, thread=root["id"]), k) for k in (1, 12)
    ]
    quoting = [
        counted(lambda u, c, i: SendRequest(u, f"quote {i}", c, reply_to=inner["id"], thread=root["id"]), k)
        for k in (1, 12)
    ]
    via_reply = [
        counted(lambda u, c, i: SendRequest(u, f"via {i}", c, thread=inner["id"]), k) for k in (1, 12)
    ]
    assert plain == [6, 6]
    assert replies == [7, 7] and quoting == [7, 7] and via_reply == [8, 8]
    assert ThreadSummary.objects.get(root_id=root["id"]).reply_count == 1 + 3 * 13


def test_one_batch_answers_a_new_thread_and_a_running_one_and_a_retry(w: dict[str, Any]) -> None:
    """A batch that starts one thread and continues another writes both summaries (the new one
    inserted, the running one updated); a retry in the same batch is answered with the stored
    reply and counted once. Both roots' frames carry their counts, as GET thread reads them."""
    running, fresh = send(w["o"], w["rid"], "running"), send(w["b"], w["rid"], "fresh")
    first = send(w["a"], w["rid"], "first", thread=running["id"])
    requests = [
        SendRequest(w["bob"], "second", "k-second", thread=running["id"]),
        SendRequest(w["alice"], "first", first["client_id"], thread=running["id"]),  # a retry
        SendRequest(w["alice"], "opening", "k-opening", thread=fresh["id"]),
    ]
    answers = message_send_batch(room_id=w["rid"], requests=requests)
    assert [(a.message.body, a.created) for a in answers] == [  # type: ignore[union-attr]
        ("second", True),
        ("first", False),
        ("opening", True),
    ]
    assert answers[1].message.pk == first["id"]  # type: ignore[union-attr]
    summaries_now = {
        m["id"]: m["thread_summary"]
        for m in history(w["o"], w["rid"])
        if m["id"] in (running["id"], fresh["id"])
    }
    assert summaries_now[running["id"]]["reply_count"] == 2
    assert [p["username"] for p in summaries_now[running["id"]]["participants"]] == ["bob", "alice"]
    assert summaries_now[fresh["id"]]["reply_count"] == 1
    assert [r["body"] for r in thread(w["b"], running["id"])["replies"]] == ["first", "second"]
    updated = [e for e in events(w["o"], w["rid"]) if e["type"] == "message.updated"]
    counts = {e["message"]["id"]: e["message"]["thread_summary"]["reply_count"] for e in updated}
    assert counts == {running["id"]: 2, fresh["id"]: 1}


# --- everything else that touches messages -------------------------------------------------


def test_search_hits_say_they_are_in_a_thread(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    reply = send(w["a"], w["rid"], "the flamingo answer", thread=root["id"])
    hits = w["b"].get("/api/v1/search", {"q": "flamingo"}).json()["results"]
    assert [(h["message"]["id"], h["message"]["thread"]) for h in hits] == [(reply["id"], root["id"])]


def test_the_data_export_says_which_thread_a_message_is_in(w: dict[str, Any]) -> None:
    root = send(w["a"], w["rid"], "root")
    send(w["a"], w["rid"], "reply", thread=root["id"], also_to_room=True)
    r = w["a"].get("/api/v1/me/export")
    doc = json.loads(b"".join(r.streaming_content))
    assert [(m["body"], m["thread"], m["also_to_room"]) for m in doc["messages"]] == [
        ("root", None, False),
        ("reply", root["id"], True),
    ]


def test_the_purge_keeps_a_root_while_its_thread_has_newer_replies(w: dict[str, Any]) -> None:
    old = timezone.now() - timedelta(days=3)
    root = send(w["o"], w["rid"], "old root")
    early = send(w["a"], w["rid"], "old reply", thread=root["id"])
    late = send(w["b"], w["rid"], "new reply", thread=root["id"])
    gone = send(w["o"], w["rid"], "old root without news")
    send(w["a"], w["rid"], "its old reply", thread=gone["id"])
    Message.objects.exclude(pk=late["id"]).update(created_at=old)
    ThreadSummary.objects.filter(root_id=gone["id"]).update(last_reply_at=old)
    result = retention.messages_purge(cutoff=timezone.now() - timedelta(days=1))
    assert result.messages == 3  # the old reply, the other root and its reply
    assert set(Message.objects.values_list("pk", flat=True)) == {root["id"], late["id"]}
    assert not Message.objects.filter(pk=early["id"]).exists()
    page = thread(w["b"], root["id"])
    assert [m["id"] for m in page["replies"]] == [late["id"]]
    assert page["root"]["thread_summary"]["reply_count"] == 1  # recounted


def test_staff_delete_a_root_and_judge_a_reported_reply_among_its_thread(w: dict[str, Any]) -> None:
    staff = make_user("staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    root = send(w["a"], w["rid"], "root")
    send(w["o"], w["rid"], "room chatter")
    replies = [send(w["b"], w["rid"], f"reply {i}", thread=root["id"]) for i in range(3)]
    report = w["a"].post(f"/api/v1/messages/{replies[1]['id']}/reports", {"category": "spam"}, format="json")
    context = client_for(staff).get(f"/api/v1/reports/{report.json()['id']}/context").json()
    assert [m["id"] for m in context["messages"]] == [root["id"], *(r["id"] for r in replies)]
    assert client_for(staff).delete(f"/api/v1/messages/{root['id']}").status_code == 204
    page = thread(w["b"], root["id"])
    assert page["root"]["deleted"] is True and len(page["replies"]) == 3
    assert [t["root"]["deleted"] for t in threads(w["b"])] == [True]


def test_muted_and_banned_members_cannot_reply_in_threads(w: dict[str, Any]) -> None:
    root = send(w["o"], w["rid"], "root")
    moderation.member_mute(room_id=w["rid"], actor=w["owner"], user_id=w["bob"].pk, duration=600)
    r = w["b"].post(f"/api/v1/rooms/{w['rid']}/messages", {"body": "hi", "thread": root["id"]}, format="json")
    assert error_of(r)["code"] == "muted"
    moderation.member_ban(room_id=w["rid"], actor=w["owner"], user_id=w["alice"].pk)
    r = w["a"].post(f"/api/v1/rooms/{w['rid']}/messages", {"body": "hi", "thread": root["id"]}, format="json")
    assert r.status_code in (403, 404) and error_of(r)["code"] == "banned"
    assert w["a"].get(f"/api/v1/messages/{root['id']}/thread").status_code in (403, 404)
    assert not ThreadSummary.objects.exists()


def test_a_busy_roots_summary_event_waits_for_its_window_and_a_lost_flush_is_made_up(
    w: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """Within THREAD_SUMMARY_WINDOW of the root's last summary event, a reply logs none. Once
    the window has ended, the room's next send batch logs one `message.updated` counting them
    all (two statements in a batch that holds the room's lock anyway); a room gone quiet gets
    it from the fallback flush a window later (the first waiting reply asks for it, the others
    join it), and a flush that never ran (the process stopped) is made up by the periodic job."""
    settings.THREAD_SUMMARY_WINDOW = 30
    asked: list[tuple[int, float]] = []
    monkeypatch.setattr(summaries, "_flusher", [lambda root_id, delay: asked.append((root_id, delay))])
    root = send(w["o"], w["rid"], "root")
    with django_capture_on_commit_callbacks(execute=True):
        first = send(w["a"], w["rid"], "one", thread=root["id"])
        send(w["b"], w["rid"], "two", thread=root["id"])
        third = send(w["a"], w["rid"], "three", thread=root["id"])
    kinds = [(e["type"], e["seq"]) for e in events(w["b"], w["rid"], after=root["seq"])]
    assert kinds == [
        ("message", first["seq"]),
        ("message.updated", first["seq"] + 1),
        ("message", first["seq"] + 2),
        ("message", third["seq"]),
    ]
    assert [r for r, _d in asked] == [root["id"]] and 30 < asked[0][1] <= 60  # the fallback's
    # The summary itself is always current: whoever loads the root sees all three.
    assert thread(w["b"], root["id"])["root"]["thread_summary"]["reply_count"] == 3
    plain = send(w["o"], w["rid"], "in the room, within the window")
    assert [e["type"] for e in events(w["b"], w["rid"], after=third["seq"])] == ["message"]
    summaries._due[w["rid"]][root["id"]] = 0.0  # the window has ended
    again = send(w["o"], w["rid"], "in the room, past the window")
    log = events(w["b"], w["rid"], after=plain["seq"])
    assert [(e["type"], e["seq"]) for e in log] == [
        ("message", again["seq"]),
        ("message.updated", again["seq"] + 1),
    ]
    assert log[1]["message"]["thread_summary"]["reply_count"] == 3
    assert services.thread_summary_flush(root_id=root["id"]) is False  # the fallback finds nothing
    # A reply waits again: while the room's last summary event is recent, the fallback leaves it
    # to the room's next send; once the room has been quiet a window, the fallback logs it.
    with django_capture_on_commit_callbacks(execute=True):
        send(w["a"], w["rid"], "three and a half", thread=root["id"])
    assert services.thread_summary_flush(root_id=root["id"]) is False
    ThreadSummary.objects.filter(root_id=root["id"]).update(logged_at=timezone.now() - timedelta(seconds=31))
    assert services.thread_summary_flush(root_id=root["id"]) is True
    assert services.thread_summary_flush(root_id=root["id"]) is False  # nothing waits any more
    last = events(w["b"], w["rid"])[-1]
    assert (last["type"], last["message"]["thread_summary"]["reply_count"]) == ("message.updated", 4)
    # A reply waits again; its flush is lost with its process: the job logs it once overdue.
    send(w["b"], w["rid"], "four", thread=root["id"])
    assert services.thread_summaries_flush_overdue() == 0  # not overdue yet
    ThreadSummary.objects.filter(root_id=root["id"]).update(logged_at=timezone.now() - timedelta(minutes=5))
    assert services.thread_summaries_flush_overdue() == 1
    assert services.thread_summaries_flush_overdue() == 0
    last = events(w["b"], w["rid"])[-1]
    assert (last["type"], last["message"]["thread_summary"]["reply_count"]) == ("message.updated", 5)
