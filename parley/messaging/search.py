"""Message search: the index asked for the query's terms, newest first, a page at a time.

Reads only. What a member may find is decided here, on every page: messages of the rooms
they belong to now (leaving a room takes its messages out of their results at once),
never a deleted one, and an edited one by its current text only (the services rewrite
`search_text` on every edit and clear it on delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, connections
from django.db.models import BooleanField, F, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Invalid
from parley.common.sql import q, table
from parley.messaging.models import Message
from parley.messaging.search_index import SQLITE_FTS_TABLE, pg_condition, sqlite_match
from parley.messaging.search_indexer import catch_up
from parley.messaging.search_text import highlight, query_terms
from parley.messaging.selectors import with_reactions
from parley.rooms.models import Membership

# PostgreSQL: the newest messages of the user's rooms tested first, walking the primary key
# backwards; a term that fills the page among them (one in 250 messages or commoner) never
# touches GIN. Testing a row is a LIKE over its short term list (well under a microsecond),
# so the whole window costs a few ms when it comes back short (a rare term).
WINDOW = 5000
# With a sender or date filter: fewer matches than this in the user's rooms, take them all
# from the GIN index and sort; more, walk the primary key backwards (issue 13's probe).
PROBE = 1000
NOTHING_TO_FIND = _("Search for words or characters: punctuation, symbols and emoji alone are not indexed.")


@dataclass(frozen=True)
class SearchPage:
    results: list[dict[str, Any]]  # {message, room: {id, name}, highlight}
    next_after: int | None  # the last result's id when more results follow


def search(
    *,
    user: User,
    q_text: str,
    room_id: int | None = None,
    sender_id: int | None = None,
    before: datetime | None = None,
    after: datetime | None = None,
    below_id: int | None = None,
    limit: int = 20,
) -> SearchPage:
    """One page of results, newest first; `below_id` continues after an earlier page.

    A constant number of queries per page: the user's rooms, (on PostgreSQL) the rooms'
    messages still waiting for the indexer (filled first, in one more statement, when there
    are any: issue 34) and a walk of the newest messages, (on SQLite) the page's ids, then
    the page (sender, room and replied-to message joined) and its reactions. The room ids
    go into the page's query as a literal list, so the planner weighs them with each room's
    statistics rather than an average room.

    The index cannot give the newest first by itself. PostgreSQL first tests the newest
    WINDOW messages of the rooms, walking the primary key backwards (`_recent_matches`):
    a common term fills the page there after a few hundred rows. When the window comes
    back short the matches are few (or old), and the page takes every match from the GIN
    index and sorts them. With a sender or date filter the window is skipped (its walk
    would not be bounded) and a probe counts up to PROBE matches through GIN to choose.
    SQLite's FTS5 returns matches newest first itself, so the page's ids are the first rows
    of the FTS table joined to the messages."""
    terms = query_terms(q_text)
    if not terms:
        raise Invalid(NOTHING_TO_FIND, fields={"q": [NOTHING_TO_FIND]})
    rooms = list(Membership.objects.filter(user=user).values_list("room_id", flat=True))
    if room_id is not None:
        rooms = [r for r in rooms if r == room_id]
    if not rooms:
        return SearchPage([], None)
    catch_up(rooms)  # PostgreSQL: what the indexer thread has not filled yet, so nothing is missed
    qs = Message.objects.filter(room_id__in=rooms, deleted_at__isnull=True, search_text__isnull=False)
    if sender_id is not None:
        qs = qs.filter(sender_id=sender_id)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    if after is not None:
        qs = qs.filter(created_at__gte=after)
    if below_id is not None:
        qs = qs.filter(pk__lt=below_id)
    order: Any = "-pk"
    if connection.vendor == "postgresql":
        cond, params = pg_condition(f"{table(Message)}.{q('search_text')}", terms)
        matching = qs.filter(RawSQL(cond, params, output_field=BooleanField()))
        # A filter by sender or date makes the window's walk unbounded (its LIMIT counts only
        # rows that pass, and no index orders them by id): those count matches instead.
        filtered = sender_id is not None or before is not None or after is not None
        recent = [] if filtered else _recent_matches(qs, terms, limit + 1)
        if len(recent) > limit:  # a common term: the page is among the newest messages
            qs = Message.objects.filter(pk__in=recent)
        elif filtered and matching.order_by()[:PROBE].count() >= PROBE:
            qs = matching  # many matches: walk the primary key backwards, testing each
        else:  # few matches: every match from the GIN index, then sort
            qs = matching
            order = (F("pk") + 0).desc()  # not the primary key's order, so the planner takes GIN
    elif connection.vendor == "sqlite":
        # The page's ids first, from the FTS table and the messages alone: joined to the
        # users and rooms too, SQLite put those tiny tables outside and sorted every match.
        # The ORM cannot join a virtual table: fixed SQL, the terms go as a parameter.
        fts = SQLITE_FTS_TABLE
        ids = list(
            qs.extra(
                tables=[fts],
                where=[f"{fts}.rowid = {table(Message)}.{q('id')}", f"{fts} MATCH %s"],
                params=[sqlite_match(terms)],
            )
            .order_by(RawSQL(f"{fts}.rowid", []).desc())
            .values_list("pk", flat=True)[: limit + 1]
        )
        qs = Message.objects.filter(pk__in=ids)
    else:  # no index on this database: scan the analysed column for whole terms
        qs = qs.annotate(padded=Concat(Value(" "), "search_text", Value(" "), output_field=TextField()))
        for term in terms:
            qs = qs.filter(padded__contains=f" {term} ")
    rows = list(
        qs.select_related("sender", "reply_to__sender", "room", "summary")
        .defer("search_text", "room__topic")
        .order_by(order)[: limit + 1]
    )
    more = len(rows) > limit
    page = with_reactions(rows[:limit], user)
    results = [
        {
            "message": m,
            "room": {"id": m.room_id, "name": m.room.name},
            "highlight": highlight(m.body, terms),
        }
        for m in page
    ]
    return SearchPage(results, page[-1].pk if more and page else None)


def _like(term: str) -> str:
    """`% term %`: the whole term inside the space-padded term list (LIKE's own characters
    escaped, though the analyzer never keeps them in a term)."""
    return "% " + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %"


def _recent_matches(qs: Any, terms: list[str], want: int) -> list[int]:
    """The ids of the first `want` matches among the newest WINDOW messages `qs` selects,
    newest first (PostgreSQL). The window is a subquery with its own LIMIT under the
    outer one, so the walk stops at the `want`-th match and never goes past WINDOW rows.

    Why not ask the planner: with the rooms' statistics it still cannot know whether the
    matches are recent, and counting them first through GIN (the former probe) built the
    bitmap of every match, 50,000 for a common term at 1,000,000 messages, on every page."""
    window = qs.order_by("-pk").values_list("id", "search_text")[:WINDOW]
    sql, params = window.query.sql_with_params()
    tests = " AND ".join(["(' ' || r.search_text || ' ') LIKE %s"] * len(terms))
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM ({sql}) r WHERE {tests} ORDER BY r.id DESC LIMIT %s",
            [*params, *(_like(t) for t in terms), want],
        )
        return [row[0] for row in cursor.fetchall()]


def sender_choices(
    *, user: User, q_text: str = "", room_id: int | None = None, limit: int = 20
) -> tuple[list[User], bool]:
    """Whom the search's "From" filter offers: the people of the rooms `user` belongs to now
    (of `room_id` only, when given: nobody if they are not in it), the user included, bots
    too (they write messages), matched by username or display name; (page, has_more).

    Never wider than what `search` can find, so a guest learns no one beyond the people
    they already share a room with (the global people search is for registered accounts)."""
    rooms = Membership.objects.filter(user=user)
    if room_id is not None:
        rooms = rooms.filter(room_id=room_id)
    people = Membership.objects.filter(room_id__in=rooms.values("room_id")).values("user_id")
    qs = User.objects.filter(pk__in=people, is_active=True)
    text = q_text.strip()
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    rows = list(qs.order_by("username", "id")[: limit + 1])
    page, more = rows[:limit], len(rows) > limit
    if text:
        low = text.lower()
        page.sort(
            key=lambda u: not (u.username.lower().startswith(low) or u.shown_name.lower().startswith(low))
        )
    return page, more
