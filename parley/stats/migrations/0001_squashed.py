"""stats: the schema of Parley 1.0 in one migration (squashed on 2026-12-07).

It replaces the history before it (0001_daily_counts … 0002_i18n_labels). A database
that applied all of those is marked as having applied this one by Django itself; a new
database runs only this. docs/deploy.md ("Upgrading across the 1.0 squash") and
docs/decisions.md say more.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("stats", "0001_daily_counts"),
        ("stats", "0002_i18n_labels"),
    ]

    dependencies = [
        ("accounts", "0001_squashed"),
        ("rooms", "0001_squashed"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatsCursor",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("last_message_id", models.BigIntegerField(default=0)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="HourDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("day", models.DateField()),
                ("hour", models.PositiveSmallIntegerField()),
                ("messages", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("day", "hour"), name="stats_hourday_day_hour")
                ],
            },
        ),
        migrations.CreateModel(
            name="RoomDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("day", models.DateField()),
                ("messages", models.PositiveIntegerField(default=0)),
                ("senders", models.PositiveIntegerField(default=0)),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="rooms.room"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("day", "room"), name="stats_roomday_day_room")
                ],
            },
        ),
        migrations.CreateModel(
            name="SenderDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("day", models.DateField()),
                ("messages", models.PositiveIntegerField(default=0)),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="rooms.room"
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
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "room", "user"), name="stats_senderday_day_room_user"
                    )
                ],
            },
        ),
    ]
