"""messaging: the schema of Parley 1.0 in one migration (squashed on 2026-12-07).

It replaces the history before it (0001_initial … 0007_i18n_labels). A database that
applied all of those is marked as having applied this one by Django itself; a new
database runs only this. docs/deploy.md ("Upgrading across the 1.0 squash") and
docs/decisions.md say more.

Besides the models: each database's search index (parley/messaging/search_index.py) and,
on MariaDB/MySQL, the byte-wise collation of reaction emoji.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from parley.common.vendor_sql import VendorSQL
from parley.messaging.search_index import PG_INDEX, SQLITE_DROP, SQLITE_FTS

# Under MariaDB's case-insensitive collations every character outside the Basic
# Multilingual Plane weighs the same, so 👍 and 🎉 compared equal and the unique
# (message, user, emoji) constraint refused a second, different reaction: the emoji
# column compares bytes there.
MYSQL_EMOJI_BINARY = [
    "ALTER TABLE messaging_reaction MODIFY emoji varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"
]
MYSQL_EMOJI_BINARY_REVERSE = [
    "ALTER TABLE messaging_reaction MODIFY emoji varchar(32) CHARACTER SET utf8mb4 NOT NULL"
]


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("messaging", "0001_initial"),
        ("messaging", "0002_drop_redundant_indexes"),
        ("messaging", "0003_protocol_2"),
        ("messaging", "0004_reaction_emoji_binary_on_mysql"),
        ("messaging", "0005_message_attachments"),
        ("messaging", "0005_reports"),
        ("messaging", "0005_search_index"),
        ("messaging", "0006_merge_attachments_reports_search"),
        ("messaging", "0007_i18n_labels"),
    ]

    dependencies = [
        ("accounts", "0001_squashed"),
        ("rooms", "0001_squashed"),
    ]

    operations = [
        migrations.CreateModel(
            name="Message",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                ("body", models.TextField(max_length=4000)),
                ("client_id", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("edited_at", models.DateTimeField(blank=True, null=True)),
                (
                    "room",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="rooms.room",
                    ),
                ),
                (
                    "sender",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="messages",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
                ("mentions", models.JSONField(blank=True, default=list)),
                ("mentions_room", models.BooleanField(default=False)),
                ("reply_excerpt", models.CharField(blank=True, default="", max_length=120)),
                (
                    "reply_to",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replies",
                        to="messaging.message",
                    ),
                ),
                ("search_text", models.TextField(blank=True, null=True)),
                ("attachments", models.JSONField(blank=True, default=list)),
            ],
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                (
                    "message",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="messaging.message",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="rooms.room",
                    ),
                ),
                (
                    "sender",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="MessageEdit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("action", models.CharField(default="edit", max_length=8)),
                ("body_before", models.TextField()),
                ("edited_at", models.DateTimeField()),
                (
                    "editor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="edits",
                        to="messaging.message",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Reaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("emoji", models.CharField(max_length=32)),
                ("created_at", models.DateTimeField()),
                (
                    "message",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reactions",
                        to="messaging.message",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Report",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("category", models.CharField(max_length=16)),
                ("text", models.CharField(blank=True, max_length=1000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("status", models.CharField(default="open", max_length=8)),
                ("action", models.CharField(blank=True, max_length=20)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "message",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reports",
                        to="messaging.message",
                    ),
                ),
                (
                    "reporter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="RoomEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                ("kind", models.CharField(max_length=16)),
                ("frame", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="messaging.message",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="rooms.room",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("reply_to__isnull", False)),
                fields=["reply_to"],
                name="messaging_message_reply_to",
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("room", "seq"), name="messaging_message_room_seq"),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("sender", "client_id"), name="messaging_message_sender_client"
            ),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["room", "user", "seq"], name="messaging_mention_count"),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["message"], name="messaging_mention_message"),
        ),
        migrations.AddConstraint(
            model_name="reaction",
            constraint=models.UniqueConstraint(
                fields=("message", "user", "emoji"), name="messaging_reaction_once"
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["status", "-id"], name="messaging_report_queue"),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(fields=("message", "reporter"), name="messaging_report_once"),
        ),
        migrations.AddConstraint(
            model_name="roomevent",
            constraint=models.UniqueConstraint(fields=("room", "seq"), name="messaging_event_room_seq"),
        ),
        # The search index (parley/messaging/search_index.py says how each one works); MariaDB/MySQL
        # has none, search scans the column there.
        VendorSQL(
            {"postgresql": [PG_INDEX], "sqlite": SQLITE_FTS},
            reverse={"postgresql": ["DROP INDEX IF EXISTS messaging_message_search"], "sqlite": SQLITE_DROP},
        ),
        VendorSQL({"mysql": MYSQL_EMOJI_BINARY}, reverse={"mysql": MYSQL_EMOJI_BINARY_REVERSE}),
    ]
