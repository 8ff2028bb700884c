"""The SQL of a send, written out instead of built by the ORM.

A send is the hottest write in Parley: six statements per batch. Built by the
ORM, each statement spent more time being compiled than PostgreSQL spent
running it (about 1.5 ms of Python against 0.3 ms in the database, measured in
docs/performance.md), and that Python time holds the GIL the fan-out needs.
The statements are plain and portable (PostgreSQL, SQLite, MariaDB); the
column values still go through the model fields, so adaptation is Django's.
Everything else keeps using the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.utils import timezone

from parley.accounts.models import User
from parley.common.sql import marks, q, reader, table
from parley.messaging.models import Mention, Message, Reaction, RoomEvent, ThreadSummary
from parley.rooms.models import Membership, Room

BIGINT_MAX = 2**63 - 1


class LockedRoom(NamedTuple):
    visibility: str
    closed: bool
    last_seq: int
    owner_id: int
    kind: str


def lock_room(room_id: int) -> LockedRoom | None:
    """The room's state, locked until commit; None if it is gone."""
    columns = ", ".join(q(c) for c in ("visibility", "closed_at", "last_seq", "owner_id", "kind"))
    sql = f"SELECT {columns} FROM {table(Room)} WHERE {q('id')} = %s"
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"  # SQLite needs none: BEGIN IMMEDIATE already holds the write lock
    with connection.cursor() as cursor:
        cursor.execute(sql, [room_id])
        row = cursor.fetchone()
    return None if row is None else LockedRoom(row[0], row[1] is not None, int(row[2]), int(row[3]), row[4])


def late_room_lock() -> bool:
    """Whether a change to an existing message may take its room's lock last, just for its seq.

    On PostgreSQL the message's own row lock (`FOR NO KEY UPDATE`) keeps two changes of one
    message apart and does not conflict with the key-share lock a reply's foreign key takes,
    so the room is locked only for the two statements that take a seq: an edit or a
    reaction no longer holds up the room's sends while it does its own work. MariaDB's
    foreign-key checks take shared locks that would deadlock against that order, and
    SQLite holds its one write lock from BEGIN IMMEDIATE anyway: both lock the room first."""
    return connection.vendor == "postgresql"


def lock_message(message_id: int) -> tuple[int, LockedRoom | None] | None:
    """The message's room id and its room's state; None if there is no such message.

    Where the room is locked last (PostgreSQL), one statement locks the message's row
    until commit and reads its room as committed; elsewhere the room is locked now. An id
    no column can hold (from a URL) names no message, as the ORM would answer."""
    if not 0 < message_id <= BIGINT_MAX:
        return None
    if not late_room_lock():
        sql = f"SELECT {q('room_id')} FROM {table(Message)} WHERE {q('id')} = %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [message_id])
            row = cursor.fetchone()
        return None if row is None else (int(row[0]), lock_room(int(row[0])))
    columns = ", ".join(f"r.{q(c)}" for c in ("visibility", "closed_at", "last_seq", "owner_id", "kind"))
    sql = (
        f"SELECT m.{q('room_id')}, {columns} FROM {table(Message)} m "
        f"JOIN {table(Room)} r ON r.{q('id')} = m.{q('room_id')} "
        f"WHERE m.{q('id')} = %s FOR NO KEY UPDATE OF m"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [message_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return int(row[0]), LockedRoom(row[1], row[2] is not None, int(row[3]), int(row[4]), row[5])


def unhide_direct(room_id: int) -> None:
    """A new message in a DM brings it back to the members who hid it ("left" it)."""
    sql = (
        f"UPDATE {table(Membership)} SET {q('hidden')} = %s WHERE {q('room_id')} = %s AND {q('hidden')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, room_id, True])


def member_standing(room_id: int, user_ids: Sequence[int], now: Any = None) -> dict[int, bool]:
    """{user id: muted now} of the room's members among `user_ids`: the membership check and
    the mute check of a send in one statement (a mute costs a send nothing more)."""
    muted, until = q("muted"), q("muted_until")
    sql = (
        f"SELECT {q('user_id')}, CASE WHEN {muted} = %s AND ({until} IS NULL OR {until} > %s) "
        f"THEN 1 ELSE 0 END FROM {table(Membership)} "
        f"WHERE {q('room_id')} = %s AND {q('user_id')} IN ({marks(len(user_ids))})"
    )
    field = Membership._meta.get_field("muted_until")
    at = field.get_db_prep_value(now or timezone.now(), connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, at, room_id, *user_ids])
        return {int(row[0]): bool(row[1]) for row in cursor.fetchall()}


def earlier_message_ids(sender_ids: Sequence[int], client_ids: Sequence[str]) -> list[int]:
    """Ids of stored messages that could be retries of these sends (a superset: the caller matches pairs)."""
    sql = (
        f"SELECT {q('id')} FROM {table(Message)} "
        f"WHERE {q('sender_id')} IN ({marks(len(sender_ids))}) "
        f"AND {q('client_id')} IN ({marks(len(client_ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sender_ids, *client_ids])
        return [int(row[0]) for row in cursor.fetchall()]


_named_sql: dict[tuple[Any, ...], str] = {}


def named_messages(
    sender_ids: Sequence[int], client_ids: Sequence[str], ids: Sequence[int], room_id: int | None = None
) -> list[Message]:
    """The stored messages that could be retries of these sends (the (sender, client_id) pairs;
    a superset: the caller matches pairs) and the messages named by id (`reply_to`, `thread`),
    each with its sender and its thread summary attached, in one statement (`room_id`: only
    that room's). The ORM built this one (a `select_related` of four tables) in about 1.5 ms of
    Python per send, five times what PostgreSQL spends running it; written out, a reply costs
    what a plain send costs. A named message's own `reply_to` is loaded only if a frame asks."""
    m, u, s = reader(Message), reader(User), reader(ThreadSummary)
    pairs = len(sender_ids), len(client_ids) if sender_ids and client_ids else 0
    if not pairs[1] and not ids:
        return []
    params: list[Any] = [*sender_ids, *client_ids] if pairs[1] else []
    params += [*ids, *([] if room_id is None else [room_id])]
    key = (*pairs, len(ids), room_id is not None, connection.vendor)
    sql = _named_sql.get(key)
    if sql is None:
        where = []
        if pairs[1]:
            where.append(
                f"(m.{q('sender_id')} IN ({marks(pairs[0])}) AND m.{q('client_id')} IN ({marks(pairs[1])}))"
            )
        if ids:
            where.append(f"m.{q('id')} IN ({marks(len(ids))})")
        sql = _named_sql[key] = (
            f"SELECT {m.columns('m')}, {u.columns('u')}, {s.columns('s')} FROM {table(Message)} m "
            f"JOIN {table(User)} u ON u.{q('id')} = m.{q('sender_id')} "
            f"LEFT JOIN {table(ThreadSummary)} s ON s.{q('root_id')} = m.{q('id')} "
            f"WHERE ({' OR '.join(where)})" + ("" if room_id is None else f" AND m.{q('room_id')} = %s")
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    sender_at, summary_at = m.width, m.width + u.width
    for row in rows:
        message = m.build(row[:sender_at])
        Message.sender.field.set_cached_value(message, u.build(row[sender_at:summary_at]))  # type: ignore[attr-defined]
        summary = s.build(row[summary_at:]) if row[summary_at] is not None else None
        Message.summary.related.set_cached_value(message, summary)  # type: ignore[attr-defined]
        if message.reply_to_id is None:  # type: ignore[attr-defined]
            Message.reply_to.field.set_cached_value(message, None)  # type: ignore[attr-defined]
        out.append(message)  # type: ignore[arg-type]
    return out  # type: ignore[return-value]


SUMMARY_COLUMNS = ["reply_count", "last_reply_at", "last_reply_seq", "participants", "logged_at", "pending"]


def write_summaries(summaries: Sequence[ThreadSummary]) -> None:
    """Write thread summaries as counted under the room's lock: the new ones inserted (one
    statement), the ones read with their roots updated, one statement per root (a batch
    answers one or two threads). Not an upsert: on PostgreSQL `ON CONFLICT DO UPDATE` took
    four times an UPDATE's time (its speculative insertion), and the caller knows which rows
    exist, since summaries are written only under the room's lock it holds."""
    new = [row for row in summaries if row._state.adding]
    inserted = {row.pk for row in new}
    if new:
        _insert(ThreadSummary, new, ["root", "room", "root_sender", *SUMMARY_COLUMNS], returning=False)
        for row in new:
            row._state.adding = False
    fields = [ThreadSummary._meta.get_field(name) for name in SUMMARY_COLUMNS]
    sql = _summary_update.get(connection.vendor)
    if sql is None:
        sets = ", ".join(f"{q(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
        sql = _summary_update[connection.vendor] = (
            f"UPDATE {table(ThreadSummary)} SET {sets} WHERE {q('root_id')} = %s"
        )
    with connection.cursor() as cursor:
        for row in summaries:
            if row.pk in inserted:
                continue
            params = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]  # type: ignore[union-attr]
            cursor.execute(sql, [*params, row.pk])


_summary_update: dict[str, str] = {}


def set_last_seq(room_id: int, seq: int) -> None:
    with connection.cursor() as cursor:
        sql = f"UPDATE {table(Room)} SET {q('last_seq')} = %s WHERE {q('id')} = %s"
        cursor.execute(sql, [seq, room_id])


_inserts: dict[tuple[type[Model], tuple[str, ...], str], tuple[list[Any], str, str]] = {}


def _insert(
    model: type[Model], objs: Sequence[Model], names: Iterable[str], returning: bool, suffix: str = ""
) -> list[Any]:
    key = (model, tuple(names), connection.vendor)
    found = _inserts.get(key)
    if found is None:  # the fields and the statement's head, worked out once per shape
        fields = [model._meta.get_field(name) for name in key[1]]
        columns = ", ".join(q(str(f.column)) for f in fields)  # type: ignore[union-attr]
        found = _inserts[key] = (
            fields,
            f"INSERT INTO {table(model)} ({columns}) VALUES ",
            f"({marks(len(fields))})",
        )
    fields, head, row = found
    sql = f"{head}{', '.join([row] * len(objs))}{suffix}"
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs for f in fields]  # type: ignore[union-attr]
    if returning:
        sql += f" RETURNING {q('id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else []


def insert_messages(messages: Sequence[Message]) -> None:
    """Insert and set each message's pk (in one statement where the database can return ids)."""
    names = [
        "room", "seq", "sender", "body", "client_id", "created_at", "edited_at",
        "deleted_at", "reply_to", "reply_excerpt", "mentions", "mentions_room", "search_text",
        "attachments", "previews", "previews_removed", "thread", "also_to_room", "scheduled_for",
    ]  # fmt: skip
    if not connection.features.can_return_rows_from_bulk_insert:  # MySQL: the ORM knows the way
        Message.objects.bulk_create(messages)
        return
    ids = _insert(Message, messages, names, returning=True)
    for message, pk in zip(messages, ids, strict=True):
        message.pk = pk
        message._state.adding = False


def insert_events(events: Sequence[RoomEvent]) -> None:
    _insert(RoomEvent, events, ["room", "seq", "kind", "message", "frame", "created_at"], returning=False)


def members_named(room_id: int, names: Sequence[str]) -> dict[str, int]:
    """{lower-case username: id} of the room's members among `names` (given lower-case).

    One statement for a whole batch's @mentions; it walks the unique index on
    LOWER(username), then the (room, user) membership constraint."""
    u, m = table(User), table(Membership)
    sql = (
        f"SELECT u.{q('id')}, LOWER(u.{q('username')}) FROM {u} u "
        f"JOIN {m} mm ON mm.{q('user_id')} = u.{q('id')} AND mm.{q('room_id')} = %s "
        f"WHERE LOWER(u.{q('username')}) IN ({marks(len(names))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [room_id, *names])
        return {str(row[1]): int(row[0]) for row in cursor.fetchall()}


def insert_mentions(mentions: Sequence[Mention]) -> None:
    _insert(Mention, mentions, ["message", "room", "user", "seq", "sender", "thread"], returning=False)


def reaction_add(message_id: int, user_id: int, emoji: str, now: Any, max_distinct: int) -> bool:
    """Add the reaction unless the user already has it, the message is deleted, or the
    emoji would be the message's (max_distinct + 1)th different one: one statement, True
    if a row was inserted. The caller holds the room lock, which every delete takes too,
    so `deleted_at` cannot change under it."""
    ops = connection.ops
    r, msg = table(Reaction), table(Message)
    created = Reaction._meta.get_field("created_at").get_db_prep_save(now, connection)  # type: ignore[union-attr]
    fields = [Reaction._meta.get_field(n) for n in ("message", "user", "emoji")]
    columns = ", ".join(q(c) for c in ("message_id", "user_id", "emoji", "created_at"))
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)  # type: ignore[arg-type]
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {r} ({columns}) "
        f"SELECT %s, %s, %s, %s FROM {msg} WHERE {q('id')} = %s AND {q('deleted_at')} IS NULL "
        f"AND (EXISTS (SELECT 1 FROM {r} WHERE {q('message_id')} = %s AND {q('emoji')} = %s) "
        f"OR (SELECT COUNT(DISTINCT {q('emoji')}) FROM {r} WHERE {q('message_id')} = %s) < %s) {suffix}"
    )
    params = [message_id, user_id, emoji, created, message_id, message_id, emoji, message_id, max_distinct]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def reaction_remove(message_id: int, user_id: int, emoji: str) -> bool:
    sql = (
        f"DELETE FROM {table(Reaction)} "
        f"WHERE {q('message_id')} = %s AND {q('user_id')} = %s AND {q('emoji')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [message_id, user_id, emoji])
        return bool(cursor.rowcount == 1)
