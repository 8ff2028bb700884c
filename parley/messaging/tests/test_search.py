"""Search over REST: the index on the database under test, in four languages, with
normalisation, filters, paging, access, edits and deletes, at a constant query count."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.messaging.models import Message
from parley.messaging.retention import messages_purge
from parley.messaging.search_index import sqlite_missing
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat() -> dict[str, Any]:
    owner, member = make_user("owner"), make_user("member")
    o, m = client_for(owner), client_for(member)
    room = o.post("/api/v1/rooms", {"name": "chat"}, format="json").json()
    m.post(f"/api/v1/rooms/{room['id']}/join")
    return {"owner": owner, "member": member, "o": o, "m": m, "rid": room["id"]}


def post(client: Any, rid: int, body: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body}, format="json")
    assert r.status_code == 201, r.content
    return dict(r.json())


def find(client: Any, q: str, **params: Any) -> list[str]:
    r = client.get("/api/v1/search", {"q": q, **params})
    assert r.status_code == 200, r.content
    return [x["message"]["body"] for x in r.json()["results"]]


BODIES = [
    "The weekly planning meeting moved to Thursday",  # en
    "明天的天气预报说会下雨",  # zh
    "새로운 검색 기능을 테스트합니다",  # ko
    "検索エンジンの会議は明日です",  # ja
    "ＦＵＬＬＷＩＤＴＨ letters and Émile",
    "カタカナのカイギ",
    "ひらがなのかいぎ",
]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("meeting", [0]),
        ("MEETING thursday", [0]),  # every term, any case
        ("meeting friday", []),
        ("天气", [1]),  # two-character words use the index
        ("预报", [1]),
        ("검색", [2]),
        ("検索", [3]),
        ("会議", [3]),
        ("fullwidth", [4]),  # ＦＵＬＬＷＩＤＴＨ
        ("ｆｕｌｌｗｉｄｔｈ", [4]),
        ("émile", [4]),
        ("ÉMILE", [4]),
        ("emile", []),  # accents are kept
        ("かいぎ", [5, 6]),  # katakana and hiragana alike
        ("カイギ", [5, 6]),
        ("ｶｲｷﾞ", [5, 6]),
        ("eet", []),  # words, not substrings
    ],
)
def test_four_languages_and_normalisation(chat: dict[str, Any], q: str, found: list[int]) -> None:
    for body in BODIES:
        post(chat["o"], chat["rid"], body)
    assert find(chat["m"], q) == [BODIES[i] for i in reversed(found)]


def test_highlight_result_room_and_newest_first(chat: dict[str, Any]) -> None:
    post(chat["o"], chat["rid"], "first launch plan")
    post(chat["o"], chat["rid"], "Second LAUNCH")
    r = chat["m"].get("/api/v1/search", {"q": "launch"}).json()
    assert [x["message"]["body"] for x in r["results"]] == ["Second LAUNCH", "first launch plan"]
    assert r["next_cursor"] is None
    assert r["results"][0]["room"] == {"id": chat["rid"], "name": "chat"}
    assert r["results"][0]["highlight"] == [
        {"text": "Second ", "match": False},
        {"text": "LAUNCH", "match": True},
    ]
    assert r["results"][1]["message"]["seq"] == 1  # what ?around_seq= opens the room at


def test_paging_with_next_cursor_at_a_constant_query_count(chat: dict[str, Any]) -> None:
    for i in range(23):
        post(chat["o"] if i % 2 else chat["m"], chat["rid"], f"report number {i}")
    find(chat["m"], "report")  # PostgreSQL: the first search fills what waits (one more statement)
    seen: list[str] = []
    counts = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "report", "limit": 10}
        if cursor:
            params["cursor"] = cursor
        with CaptureQueriesContext(connection) as ctx:
            r = chat["m"].get("/api/v1/search", params).json()
        counts.append(len(ctx.captured_queries))
        seen += [x["message"]["body"] for x in r["results"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"report number {i}" for i in reversed(range(23))]
    assert [len(seen[:10]), len(seen[10:20]), len(seen[20:])] == [10, 10, 3]
    assert len(set(counts)) == 1, counts  # a full page costs what a short one does
    # the token lookup, then the user's rooms, (PostgreSQL) the waiting messages and the
    # probe or (SQLite) the ids, the rows and their reactions
    assert counts[0] <= 6, counts


def test_filters_room_sender_and_dates(chat: dict[str, Any]) -> None:
    other = chat["o"].post("/api/v1/rooms", {"name": "other"}, format="json").json()
    chat["m"].post(f"/api/v1/rooms/{other['id']}/join")
    a = post(chat["o"], chat["rid"], "budget from owner")
    b = post(chat["m"], chat["rid"], "budget from member")
    c = post(chat["o"], other["id"], "budget elsewhere")
    old = timezone.now() - timedelta(days=10)
    Message.objects.filter(pk=a["id"]).update(created_at=old)
    m = chat["m"]
    assert find(m, "budget") == [c["body"], b["body"], a["body"]]
    assert find(m, "budget", room=chat["rid"]) == [b["body"], a["body"]]
    assert find(m, "budget", sender=chat["owner"].pk) == [c["body"], a["body"]]
    assert find(m, "budget", sender=chat["owner"].pk, room=other["id"]) == [c["body"]]
    day = (old + timedelta(days=1)).date().isoformat()
    assert find(m, "budget", before=day) == [a["body"]]
    assert find(m, "budget", after=day) == [c["body"], b["body"]]
    assert find(m, "budget", after=(old - timedelta(hours=1)).isoformat(), before=day) == [a["body"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "😀 !!!"}, "q"),  # nothing indexable
        ({"q": "x" * 201}, "q"),
        ({"q": "a", "cursor": "12"}, "cursor"),  # unsigned
        ({"q": "a", "cursor": "12:forged"}, "cursor"),
        ({"q": "a", "limit": 51}, "limit"),
        ({"q": "a", "before": "yesterday"}, "before"),
        ({"q": "a", "after": "2026-02-01", "before": "2026-01-01"}, "after"),
        ({"q": "a", "sender": "bob"}, "sender"),
        ({"q": "a", "room": 0}, "room"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    chat: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    r = chat["m"].get("/api/v1/search", params)
    assert r.status_code == 400
    assert field in error_of(r)["fields"]


def test_a_cursor_from_another_page_still_means_its_place(chat: dict[str, Any]) -> None:
    for i in range(3):
        post(chat["o"], chat["rid"], f"alpha {i}")
    r = chat["m"].get("/api/v1/search", {"q": "alpha", "limit": 1}).json()
    assert find(chat["m"], "alpha", cursor=r["next_cursor"]) == ["alpha 1", "alpha 0"]


def test_access_only_rooms_the_user_is_in_now(chat: dict[str, Any]) -> None:
    stranger = client_for(make_user("stranger"))
    private = stranger.post(
        "/api/v1/rooms", {"name": "hidden", "visibility": "private"}, format="json"
    ).json()
    public = stranger.post("/api/v1/rooms", {"name": "open"}, format="json").json()
    post(stranger, private["id"], "secret plans")
    post(stranger, public["id"], "public plans")
    post(chat["o"], chat["rid"], "our plans")
    m = chat["m"]
    assert find(m, "plans") == ["our plans"]  # not a public room they have not joined either
    assert find(m, "plans", room=private["id"]) == []
    m.post(f"/api/v1/rooms/{public['id']}/join")
    assert find(m, "plans") == ["our plans", "public plans"]
    m.post(f"/api/v1/rooms/{chat['rid']}/leave")
    assert find(m, "plans") == ["public plans"]  # gone the moment they leave
    assert find(m, "plans", room=chat["rid"]) == []
    assert client_for().get("/api/v1/search", {"q": "plans"}).status_code in (401, 403)


def test_edits_are_found_by_the_new_text_only_and_deletes_never(chat: dict[str, Any]) -> None:
    o, m, rid = chat["o"], chat["m"], chat["rid"]
    edited = post(o, rid, "draft wording 草稿")
    deleted = post(o, rid, "delete me 删除")
    assert (
        o.patch(f"/api/v1/messages/{edited['id']}", {"body": "final wording 定稿"}, format="json").status_code
        == 200
    )
    assert o.delete(f"/api/v1/messages/{deleted['id']}").status_code == 204
    assert find(m, "draft") == [] and find(m, "草稿") == []
    assert find(m, "final") == ["final wording 定稿"] and find(m, "定稿") == ["final wording 定稿"]
    assert find(m, "wording") == ["final wording 定稿"]
    assert find(m, "delete") == [] and find(m, "删除") == []
    assert Message.objects.get(pk=deleted["id"]).search_text is None


def test_the_send_stores_the_analysed_terms(chat: dict[str, Any], settings: Any) -> None:
    sent = post(chat["o"], chat["rid"], "Ｈｅｌｌｏ カイギ")
    assert find(chat["m"], "hello") == ["Ｈｅｌｌｏ カイギ"]  # on PostgreSQL, filled by then
    assert Message.objects.get(pk=sent["id"]).search_text == "hello か かい い いぎ ぎ"
    settings.SEARCH_INDEX = False  # the benchmark's comparison: nothing maintained
    off = post(chat["o"], chat["rid"], "hello again")
    assert Message.objects.get(pk=off["id"]).search_text is None
    assert find(chat["m"], "hello") == ["Ｈｅｌｌｏ カイギ"]


def test_the_index_is_in_place_after_the_migrations() -> None:
    """A migration that SQLite performs by rebuilding the message table drops the FTS
    triggers: this fails then, and `reindex_search` is the repair."""
    if connection.vendor == "sqlite":
        assert sqlite_missing(connection) == []
    elif connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'messaging_message_search'")
            (indexdef,) = cur.fetchone()
        assert "gin" in indexdef and "array_to_tsvector" in indexdef and "fastupdate=off" in indexdef
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'messaging_message_unindexed'")
            (pending,) = cur.fetchone()
        assert "(search_text IS NULL) AND (deleted_at IS NULL)" in pending


def test_reindex_search_restores_terms_and_sqlite_triggers(chat: dict[str, Any]) -> None:
    post(chat["o"], chat["rid"], "Reindexed 検索 text")
    deleted = post(chat["o"], chat["rid"], "reindexed but deleted")
    chat["o"].delete(f"/api/v1/messages/{deleted['id']}")
    Message.objects.update(search_text=None)  # as if stored before the index existed
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER messaging_message_fts_ins")
    if connection.vendor != "postgresql":  # there a search indexes the waiting rows first
        assert find(chat["m"], "reindexed") == []
    out = StringIO()
    call_command("reindex_search", batch=1, stdout=out)
    assert "1/1 messages analysed" in out.getvalue()
    assert find(chat["m"], "reindexed") == ["Reindexed 検索 text"]
    assert find(chat["m"], "検索") == ["Reindexed 検索 text"]
    if connection.vendor == "sqlite":
        assert sqlite_missing(connection) == []
        later = post(chat["o"], chat["rid"], "reindexed again")  # the insert trigger is back
        assert find(chat["m"], "again") == [later["body"]]


def test_purged_messages_leave_the_index(chat: dict[str, Any]) -> None:
    old = post(chat["o"], chat["rid"], "purged archive note")
    post(chat["o"], chat["rid"], "kept archive note")
    Message.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(days=400))
    messages_purge(cutoff=timezone.now() - timedelta(days=365))
    assert find(chat["m"], "archive") == ["kept archive note"]
    if connection.vendor == "sqlite":  # the delete trigger took it out of the FTS index too
        with connection.cursor() as cur:
            cur.execute("SELECT rowid FROM messaging_message_fts WHERE messaging_message_fts MATCH 'archive'")
            assert [row[0] for row in cur.fetchall()] == [old["id"] + 1]


@pytest.mark.parametrize("q", ['" OR NOT AND', "NEAR(a b)", "a* ^b", "'a' & !b | c:*", "col:a"])
def test_query_syntax_of_the_index_is_plain_text(chat: dict[str, Any], q: str) -> None:
    post(chat["o"], chat["rid"], "near or not and a b c col")
    assert find(chat["m"], q) == ["near or not and a b c col"]


def test_matches_older_than_the_recent_window_are_found_and_paged(
    chat: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL walks the newest WINDOW messages first and asks GIN when that comes back
    short: with a window of 3, a term whose matches are all older must still come whole, and
    one that fills the page inside the window must page on past it."""
    monkeypatch.setattr("parley.messaging.search.WINDOW", 3)
    for i in range(4):
        post(chat["o"], chat["rid"], f"ancient {i} recent")
    for i in range(4):
        post(chat["o"], chat["rid"], f"filler {i} recent")
    assert find(chat["m"], "ancient") == [f"ancient {i} recent" for i in reversed(range(4))]
    seen, cursor = [], None
    while True:
        r = chat["m"].get(
            "/api/v1/search", {"q": "recent", "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        seen += [x["message"]["body"] for x in r.json()["results"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"filler {i} recent" for i in reversed(range(4))] + [
        f"ancient {i} recent" for i in reversed(range(4))
    ]
