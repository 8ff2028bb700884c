"""Search indexing off the send's critical path (issue 34): on PostgreSQL the send stores no
terms and a thread fills them after the commit; a search indexes what still waits in its
rooms before answering, and the sweep job what a crashed process left. On SQLite the send
indexes as before: the same tests hold there."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.messaging import search_indexer
from parley.messaging.models import Message
from parley.messaging.tasks import search_index_sweep
from parley.testing.api import client_for, make_user

pytestmark = pytest.mark.django_db
pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred on PostgreSQL only")


@pytest.fixture
def chat() -> dict[str, Any]:
    owner, member = make_user("owner"), make_user("member")
    o, m = client_for(owner), client_for(member)
    room = o.post("/api/v1/rooms", {"name": "chat"}, format="json").json()
    m.post(f"/api/v1/rooms/{room['id']}/join")
    return {"o": o, "m": m, "rid": room["id"]}


def post(client: Any, rid: int, body: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body}, format="json")
    assert r.status_code == 201, r.content
    return dict(r.json())


def find(client: Any, q: str, **params: Any) -> list[str]:
    r = client.get("/api/v1/search", {"q": q, **params})
    assert r.status_code == 200, r.content
    return [x["message"]["body"] for x in r.json()["results"]]


def terms(message_id: int) -> str | None:
    return Message.objects.get(pk=message_id).search_text


def test_found_by_the_search_right_after_the_ack(chat: dict[str, Any]) -> None:
    """The test's transaction never commits, so on PostgreSQL the indexer thread is never
    handed the message: only the search's own catch-up can find it."""
    sent = post(chat["o"], chat["rid"], "quarterly forecast 予算会議")
    if search_indexer.deferred():
        assert terms(sent["id"]) is None  # the send wrote no terms under the room lock
    assert find(chat["m"], "forecast") == ["quarterly forecast 予算会議"]
    assert find(chat["m"], "会議", room=chat["rid"]) == ["quarterly forecast 予算会議"]
    assert terms(sent["id"]) == "quarterly forecast 予 予算 算 算会 会 会議 議"


@pg_only
def test_a_search_indexes_only_its_own_rooms_in_one_more_statement(chat: dict[str, Any]) -> None:
    other = chat["o"].post("/api/v1/rooms", {"name": "other"}, format="json").json()
    mine = post(chat["o"], chat["rid"], "pending note")
    theirs = post(chat["o"], other["id"], "pending elsewhere")
    find(chat["m"], "pending")  # warm
    mine2 = post(chat["o"], chat["rid"], "pending again")
    with CaptureQueriesContext(connection) as waiting:
        assert find(chat["m"], "pending") == ["pending again", "pending note"]
    with CaptureQueriesContext(connection) as idle:
        find(chat["m"], "pending")
    assert terms(mine["id"]) and terms(mine2["id"])
    assert terms(theirs["id"]) is None  # not the member's room: left to its own searches
    assert len(waiting) == len(idle) + 1  # the fill; finding nothing to fill is one SELECT
    assert sum('"search_text" IS NULL' in q["sql"] for q in idle.captured_queries) == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_the_indexer_thread_fills_the_terms_after_the_commit(chat: dict[str, Any]) -> None:
    """The real path: the send commits, the thread fills the column without any search."""
    sent = [post(chat["o"], chat["rid"], f"committed batch {i}") for i in range(5)]
    assert search_indexer.indexer.idle()
    assert [terms(s["id"]) for s in sent] == [f"committed batch {i}" for i in range(5)]


def test_the_sweep_indexes_what_a_crashed_process_left(chat: dict[str, Any]) -> None:
    kept = post(chat["o"], chat["rid"], "survivor message")
    gone = post(chat["o"], chat["rid"], "removed message")
    nothing = post(chat["o"], chat["rid"], "😀 !!")
    chat["o"].delete(f"/api/v1/messages/{gone['id']}")
    if not search_indexer.deferred():  # SQLite, MariaDB: the send indexed, nothing waits
        assert not Message.objects.filter(search_text__isnull=True, deleted_at__isnull=True).exists()
        assert terms(nothing["id"]) == ""
        assert search_index_sweep() == 0
        return
    Message.objects.filter(deleted_at__isnull=True).update(search_text=None)  # the queue died
    assert search_index_sweep() == 2
    assert terms(kept["id"]) == "survivor message"
    assert terms(nothing["id"]) == ""  # indexed, with nothing to find: no longer waiting
    assert terms(gone["id"]) is None  # deleted: stays out
    assert search_index_sweep() == 0
    assert find(chat["m"], "survivor") == ["survivor message"]
    assert find(chat["m"], "removed") == []


@pg_only
def test_a_late_fill_never_overwrites_an_edit_or_revives_a_delete(chat: dict[str, Any]) -> None:
    """The indexer may run after an edit or delete of a message it was handed: it fills only
    rows still waiting, so the edit's terms and the delete stand."""
    o, rid = chat["o"], chat["rid"]
    edited = post(o, rid, "first draft")
    emptied = post(o, rid, "soon emoji only")
    deleted = post(o, rid, "doomed words")
    o.patch(f"/api/v1/messages/{edited['id']}", {"body": "final text"}, format="json")
    o.patch(f"/api/v1/messages/{emptied['id']}", {"body": "😀"}, format="json")
    o.delete(f"/api/v1/messages/{deleted['id']}")
    late = [
        (edited["id"], "first draft"),
        (emptied["id"], "soon emoji only"),
        (deleted["id"], "doomed words"),
    ]
    assert search_indexer.fill(late) == 0
    assert terms(edited["id"]) == "final text"
    assert terms(emptied["id"]) == ""  # not NULL: an edit never leaves a message waiting
    assert terms(deleted["id"]) is None
    assert (
        find(chat["m"], "draft") == [] and find(chat["m"], "emoji") == [] and find(chat["m"], "doomed") == []
    )
    assert find(chat["m"], "final") == ["final text"]


def test_edit_and_delete_keep_the_index_right_while_waiting(chat: dict[str, Any]) -> None:
    o, rid = chat["o"], chat["rid"]
    a = post(o, rid, "alpha wording")
    b = post(o, rid, "beta wording")
    o.patch(f"/api/v1/messages/{a['id']}", {"body": "gamma wording"}, format="json")
    o.delete(f"/api/v1/messages/{b['id']}")
    assert find(chat["m"], "wording") == ["gamma wording"]
    assert find(chat["m"], "alpha") == [] and find(chat["m"], "beta") == []


def test_the_sweep_is_on_the_beat_schedule(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["search-index-sweep"]
    assert entry["task"] == "parley.messaging.tasks.search_index_sweep"
    assert entry["schedule"] == settings.SEARCH_INDEX_SWEEP_INTERVAL == 300
