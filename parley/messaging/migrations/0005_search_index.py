"""Search: the analysed `search_text` column, its index on each database, and a backfill.

PostgreSQL: a GIN index over `array_to_tsvector(string_to_array(search_text, ' '))`; the
terms are already analysed, so no text-search parser or dictionary touches them.
SQLite: an external-content FTS5 table over the column, kept by triggers.
MariaDB/MySQL: no index (search scans the column; docs/decisions.md says why).
"""

from typing import Any

from django.db import migrations, models

from parley.messaging.search_index import PG_INDEX, SQLITE_DROP, SQLITE_FTS, SQLITE_REBUILD
from parley.messaging.search_text import document_terms

BATCH = 2000


def create_index(apps: Any, schema_editor: Any) -> None:
    """Analyse first, index after: building an index over the filled column is far cheaper
    than updating it row by row."""
    backfill(apps, schema_editor)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INDEX)
    elif vendor == "sqlite":
        for sql in SQLITE_FTS:
            schema_editor.execute(sql)
        schema_editor.execute(SQLITE_REBUILD)


def drop_index(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS messaging_message_search")
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


def backfill(apps: Any, schema_editor: Any) -> None:
    """Analyse the messages already stored, in id batches (`manage.py reindex_search` does the
    same later, with progress, e.g. after the analyzer changes)."""
    message = apps.get_model("messaging", "Message")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(
            message.objects.using(db)
            .filter(pk__gt=last, deleted_at__isnull=True)
            .order_by("pk")
            .only("pk", "body")[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            row.search_text = document_terms(row.body) or None
        message.objects.using(db).bulk_update(rows, ["search_text"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_reaction_emoji_binary_on_mysql")]

    operations = [
        migrations.AddField(
            model_name="message", name="search_text", field=models.TextField(blank=True, null=True)
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
