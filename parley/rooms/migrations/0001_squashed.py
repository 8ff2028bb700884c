"""rooms: the schema of Parley 1.0 in one migration (squashed on 2026-12-07).

It replaces the history before it (0001_initial … 0007_main_room_without_english_topic,
and common's 0001 and 0002, which altered this app's table). A database that applied all
of those is marked as having applied this one by Django itself; a new database runs only
this. docs/deploy.md ("Upgrading across the 1.0 squash") and docs/decisions.md say more.

Besides the models: on MariaDB/MySQL the rooms-only, case-insensitive unique room name
(formerly in `common`'s migrations), and the main room with its system owner.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from parley.common.vendor_sql import VendorSQL

SYSTEM_USERNAME = "_system"  # parley.rooms.services.SYSTEM_USERNAME at the time of writing

# MariaDB/MySQL can neither index an expression nor make an index partial, so Room's
# constraint `Lower("name") where kind = 'room'` is not created there (models.W036/W044).
# A generated column holds the name for rooms and NULL for direct messages (a unique index
# admits any number of NULLs); the case-insensitive default collations (utf8mb4_general_ci,
# utf8mb4_unicode_ci) make the plain unique index on it case-insensitive.
MYSQL_ROOM_NAME_UNIQUE = [
    "ALTER TABLE rooms_room ADD COLUMN room_name_unique varchar(64) "
    "AS (CASE WHEN kind = 'room' THEN name END) STORED",
    "CREATE UNIQUE INDEX rooms_room_name_ci_unique_mysql ON rooms_room (room_name_unique)",
]
MYSQL_ROOM_NAME_UNIQUE_REVERSE = [
    "DROP INDEX rooms_room_name_ci_unique_mysql ON rooms_room",
    "ALTER TABLE rooms_room DROP COLUMN room_name_unique",
]


def create_main_room(apps, schema_editor):
    """The main room every account joins (PARLEY_MAIN_ROOM), owned by a system account that
    cannot sign in. Its topic is empty: an English one would greet readers of four languages."""
    from django.contrib.auth.hashers import make_password

    name = " ".join(getattr(settings, "PARLEY_MAIN_ROOM", "general").split())[:64]
    if not name:
        return
    User = apps.get_model("accounts", "User")
    Room = apps.get_model("rooms", "Room")
    db = schema_editor.connection.alias
    if Room.objects.using(db).filter(name__iexact=name).exists():
        return
    owner, _ = User.objects.using(db).get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "Parley", "is_active": False, "password": make_password(None)},
    )
    Room.objects.using(db).create(owner=owner, name=name, topic="", visibility="public")


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("rooms", "0001_initial"),
        ("rooms", "0002_drop_redundant_indexes"),
        ("rooms", "0003_direct_messages"),
        ("rooms", "0003_mute_and_ban"),
        ("rooms", "0004_merge_direct_messages_mute_and_ban"),
        ("rooms", "0005_invites_main_room"),
        ("rooms", "0006_i18n_labels"),
        ("rooms", "0007_main_room_without_english_topic"),
        ("common", "0001_mariadb_room_name_unique"),
        ("common", "0002_mariadb_room_name_unique_rooms_only"),
    ]

    dependencies = [
        ("accounts", "0001_squashed"),
    ]

    operations = [
        migrations.CreateModel(
            name="Room",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=64)),
                ("topic", models.CharField(blank=True, max_length=250)),
                ("visibility", models.CharField(default="public", max_length=8)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("last_seq", models.BigIntegerField(default=0)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="owned_rooms",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("dm_key", models.CharField(blank=True, max_length=160, null=True, unique=True)),
                ("kind", models.CharField(default="room", max_length=8)),
                ("members_can_invite", models.BooleanField(default=False)),
            ],
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("joined_at", models.DateTimeField(auto_now_add=True)),
                ("last_read_seq", models.BigIntegerField(default=0)),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="rooms.room",
                    ),
                ),
                ("muted", models.BooleanField(default=False)),
                ("muted_until", models.DateTimeField(blank=True, null=True)),
                ("hidden", models.BooleanField(default=False)),
                ("notify", models.CharField(default="mentions", max_length=8)),
            ],
        ),
        migrations.CreateModel(
            name="Invite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=43, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("max_uses", models.PositiveIntegerField(blank=True, null=True)),
                ("uses", models.PositiveIntegerField(default=0)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="invites", to="rooms.room"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Ban",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "banned_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bans",
                        to="rooms.room",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="room_bans",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="room",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                condition=models.Q(("kind", "room")),
                name="rooms_room_name_ci_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["user", "room"], name="rooms_membership_user_room"),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(fields=("room", "user"), name="rooms_membership_unique"),
        ),
        migrations.AddConstraint(
            model_name="ban",
            constraint=models.UniqueConstraint(fields=("room", "user"), name="rooms_ban_unique"),
        ),
        VendorSQL({"mysql": MYSQL_ROOM_NAME_UNIQUE}, reverse={"mysql": MYSQL_ROOM_NAME_UNIQUE_REVERSE}),
        migrations.RunPython(create_main_room, migrations.RunPython.noop),
    ]
