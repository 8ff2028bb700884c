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

from django.db import connection
from django.db.models import BooleanField, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from parley.accounts.models import User
from parley.common.errors import Invalid
from parley.common.sql import q, table
from parley.messaging.models import Message
from parley.messaging.search_index import match_condition
from parley.messaging.search_text import highlight, query_terms
from parley.messaging.selectors import with_reactions
from parley.rooms.models import Membership

NOTHING_TO_FIND = "Search for words or characters: punctuation, symbols and emoji alone are not indexed."


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

    Two queries whatever the page size: the messages (with sender, room and replied-to
    message joined) and their reactions. The index gives the matching ids; the room,
    sender and date filters and the keyset over id apply to the rows it gives."""
    terms = query_terms(q_text)
    if not terms:
        raise Invalid(NOTHING_TO_FIND, fields={"q": [NOTHING_TO_FIND]})
    qs = Message.objects.filter(
        room_id__in=Membership.objects.filter(user=user).values("room_id"),
        deleted_at__isnull=True,
        search_text__isnull=False,
    )
    cond, params = match_condition(connection, f"{table(Message)}.{q('search_text')}", terms)
    if cond:
        qs = qs.filter(RawSQL(cond, params, output_field=BooleanField()))
    else:  # no index on this database: scan the analysed column for whole terms
        qs = qs.annotate(padded=Concat(Value(" "), "search_text", Value(" "), output_field=TextField()))
        for term in terms:
            qs = qs.filter(padded__contains=f" {term} ")
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
    if sender_id is not None:
        qs = qs.filter(sender_id=sender_id)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    if after is not None:
        qs = qs.filter(created_at__gte=after)
    if below_id is not None:
        qs = qs.filter(pk__lt=below_id)
    rows = list(
        qs.select_related("sender", "reply_to__sender", "room")
        .defer("search_text", "room__topic")
        .order_by("-pk")[: limit + 1]
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
