"""The search index on each database: its DDL and the condition that asks it for terms.

Below the services (it imports only Django's connection and the analyzer's output), so
the migration, the `reindex_search` command and the search selector share one copy.

- PostgreSQL: a GIN index over `array_to_tsvector(string_to_array(search_text, ' '))`.
  The column already holds analysed terms, so neither the text-search parser nor a
  dictionary touches them; the query is a `tsquery` of quoted lexemes ANDed together.
  Whether to use it or walk the primary key is decided per query (search.py).
- SQLite: an external-content FTS5 table over the column, kept by triggers (so the
  services write the column and nothing else). `unicode61 remove_diacritics 0` splits
  nothing the analyzer kept together except combining marks, the same way on both sides;
  each term is a quoted FTS5 string, so a split term is a phrase and still matches.
- MariaDB/MySQL: no index; the column is scanned with `LIKE BINARY '% term %'`
  (docs/decisions.md: its FULLTEXT ngram parser cannot take pre-analysed terms).

The column is NULL while a message is not in the index: deleted, or (PostgreSQL only, issue
34) sent but not indexed yet; a message with nothing indexable holds ''. On PostgreSQL the
send leaves it NULL and `search_indexer` fills it after the commit, outside the room lock;
a small partial index (`PG_PENDING_INDEX`) finds the rows still waiting, by room.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

PG_VECTOR = "array_to_tsvector(string_to_array({column}, ' '))"
# fastupdate off: with it on, inserts queue their entries in a pending list that some
# unlucky insert (the send holding the room lock) merges all at once, and every search
# scans the list until then. Off, each insert pays its own few entries, steadily.
PG_INDEX = (
    "CREATE INDEX messaging_message_search ON messaging_message "
    f"USING gin ({PG_VECTOR.format(column='search_text')}) WITH (fastupdate = off)"
)
# The messages waiting for their terms, by room: what a search indexes before it answers
# and what the sweep finds after a crash. Only those rows are in it, so it stays tiny and
# the send's insert adds one small btree entry.
PG_PENDING_INDEX = (
    "CREATE INDEX messaging_message_unindexed ON messaging_message (room_id, id) "
    "WHERE search_text IS NULL AND deleted_at IS NULL"
)
PG_PENDING_DROP = "DROP INDEX IF EXISTS messaging_message_unindexed"
# Fill the terms of still-waiting messages: one statement per batch whatever its size (two
# arrays). The rows are locked first, in id order, so the indexer thread, a search catching
# up and the sweep, which may fill the same rows at once, never deadlock one another; a row
# edited or deleted meanwhile no longer matches (the lock re-reads it) and is left alone.
PG_FILL = (
    "WITH locked AS ("
    " SELECT id FROM messaging_message"
    " WHERE id = ANY(%s::bigint[]) AND search_text IS NULL AND deleted_at IS NULL"
    " ORDER BY id FOR UPDATE"
    ") UPDATE messaging_message AS m SET search_text = v.terms"
    " FROM unnest(%s::bigint[], %s::text[]) AS v(id, terms), locked"
    " WHERE m.id = v.id AND locked.id = v.id"
)
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS messaging_message_fts USING fts5("
    "search_text, content='messaging_message', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS messaging_message_fts_ins AFTER INSERT ON messaging_message "
    "WHEN new.search_text IS NOT NULL BEGIN "
    "INSERT INTO messaging_message_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS messaging_message_fts_del AFTER DELETE ON messaging_message "
    "WHEN old.search_text IS NOT NULL BEGIN "
    "INSERT INTO messaging_message_fts(messaging_message_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS messaging_message_fts_upd AFTER UPDATE OF search_text "
    "ON messaging_message BEGIN "
    "INSERT INTO messaging_message_fts(messaging_message_fts, rowid, search_text) "
    "SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL; "
    "INSERT INTO messaging_message_fts(rowid, search_text) "
    "SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL; END",
]
SQLITE_FTS_TABLE = "messaging_message_fts"
SQLITE_REBUILD = "INSERT INTO messaging_message_fts(messaging_message_fts) VALUES ('rebuild')"
SQLITE_TRIGGERS = ("messaging_message_fts_ins", "messaging_message_fts_del", "messaging_message_fts_upd")
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE IF EXISTS messaging_message_fts",
]


def sqlite_missing(connection: BaseDatabaseWrapper) -> list[str]:
    """The FTS table and triggers SQLite lacks. A later migration that rebuilds the message
    table (SQLite alters by copying) drops its triggers; `reindex_search` puts them back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        have = {row[0] for row in cursor.fetchall()}
    return [name for name in ("messaging_message_fts", *SQLITE_TRIGGERS) if name not in have]


def sqlite_rebuild(connection: BaseDatabaseWrapper) -> None:
    """Create what is missing and refill the FTS table from the column."""
    with connection.cursor() as cursor:
        for sql in SQLITE_FTS:
            cursor.execute(sql)
        cursor.execute(SQLITE_REBUILD)


def _tsquery(terms: list[str]) -> str:
    """`'a' & 'b'`: each term a quoted lexeme (quote and backslash escaped), not parsed."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return " & ".join(quoted)


def _fts5(terms: list[str]) -> str:
    """`"a" "b"`: each term an FTS5 string (inner quotes doubled), ANDed by juxtaposition."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def pg_condition(column: str, terms: list[str]) -> tuple[str, list[Any]]:
    """SQL true for the rows whose search `column` (qualified) holds every one of `terms`;
    written as the index's expression so PostgreSQL can use the index."""
    return f"{PG_VECTOR.format(column=column)} @@ %s::tsquery", [_tsquery(terms)]


def sqlite_match(terms: list[str]) -> str:
    """The FTS5 MATCH argument for every one of `terms`."""
    return _fts5(terms)


def sqlite_restore_after_migrate(using: str = "default", **_kwargs: Any) -> None:
    """`post_migrate`: put back the FTS triggers a migration dropped. SQLite alters a table by
    copying it, and the copy has no triggers, so any later migration that touches the message
    table (a new column, say) would leave search silently unmaintained. Only once the message
    table exists (it is created with its index): before that there is nothing to restore. The
    table, not a migration's name, is asked, so squashing the history does not move the test."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if "messaging_message" not in connection.introspection.table_names():
        return
    if sqlite_missing(connection):
        sqlite_rebuild(connection)
