"""The aggregation job: counts per day, room and hour after sends, idempotent, incremental."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.rooms.models import Room
from parley.stats import tasks
from parley.stats.models import HourDay, RoomDay, SenderDay, StatsCursor
from parley.stats.services import stats_aggregate
from parley.testing.api import make_user

pytestmark = pytest.mark.django_db

NOW = timedelta(0)
DAY1 = datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 22, 40, tzinfo=UTC)


def send_at(user: User, room: Room, at: datetime, n: int = 1) -> None:
    """`n` messages from `user` in `room`, dated `at`."""
    for _ in range(n):
        message = message_send(
            sender=user, room_id=room.pk, body="hi", client_id=f"c{Message.objects.count()}"
        ).message
        Message.objects.filter(pk=message.pk).update(created_at=at)


@pytest.fixture
def world() -> dict[str, object]:
    ann, bob, cy = make_user("ann"), make_user("bob"), make_user("cyd")
    lobby = rooms.room_create(owner=ann, name="lobby")
    dev = rooms.room_create(owner=bob, name="dev")
    for room in (lobby, dev):
        for user in (ann, bob, cy):
            if user.pk != room.owner_id:
                rooms.room_join(room_id=room.pk, user=user)
    return {"ann": ann, "bob": bob, "cy": cy, "lobby": lobby, "dev": dev}


def room_days() -> dict[tuple[date, str], tuple[int, int]]:
    return {(r.day, r.room.name): (r.messages, r.senders) for r in RoomDay.objects.select_related("room")}


def hour_days() -> dict[tuple[date, int], int]:
    return {(h.day, h.hour): h.messages for h in HourDay.objects.all()}


def test_counts_per_day_room_sender_and_hour(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 3)
    send_at(world["bob"], world["lobby"], DAY1, 1)
    send_at(world["bob"], world["dev"], DAY1, 2)
    send_at(world["cy"], world["lobby"], DAY2, 4)
    send_at(world["ann"], world["lobby"], DAY2 + timedelta(minutes=5), 1)

    result = stats_aggregate(settle=NOW)

    assert result.messages == 11
    d1, d2 = DAY1.date(), DAY2.date()
    assert room_days() == {(d1, "lobby"): (4, 2), (d1, "dev"): (2, 1), (d2, "lobby"): (5, 2)}
    assert hour_days() == {(d1, 9): 6, (d2, 22): 5}
    assert SenderDay.objects.get(day=d1, room=world["lobby"], user=world["ann"]).messages == 3
    assert SenderDay.objects.filter(day=d2).count() == 2


def test_running_twice_changes_nothing(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 2)
    send_at(world["bob"], world["dev"], DAY2, 1)
    first = stats_aggregate(settle=NOW)
    before = (room_days(), hour_days(), SenderDay.objects.count())

    second = stats_aggregate(settle=NOW)

    assert (first.messages, second.messages) == (3, 0)
    assert second.last_message_id == first.last_message_id
    assert (room_days(), hour_days(), SenderDay.objects.count()) == before


def test_a_run_reads_only_messages_after_the_cursor(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 2)
    stats_aggregate(settle=NOW)
    # Moving an already counted message to another day proves it is not read again.
    Message.objects.filter(room=world["lobby"]).update(created_at=DAY2)
    send_at(world["bob"], world["lobby"], DAY1, 1)
    send_at(world["cy"], world["lobby"], DAY2, 1)

    with CaptureQueriesContext(connection) as queries:
        result = stats_aggregate(settle=NOW)

    assert result.messages == 2
    d1, d2 = DAY1.date(), DAY2.date()
    assert room_days() == {(d1, "lobby"): (3, 2), (d2, "lobby"): (1, 1)}
    assert hour_days() == {(d1, 9): 3, (d2, 22): 1}
    sql = [q["sql"].replace("`", '"') for q in queries.captured_queries]  # MariaDB quotes with backticks
    reads = [q for q in sql if 'FROM "messaging_message"' in q]
    assert len(reads) == 1 and '"messaging_message"."id" >' in reads[0]
    # A batch costs a bounded number of statements, whatever its size.
    assert len(queries.captured_queries) <= 16


def test_batches_add_up_to_one_run(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 3)
    send_at(world["bob"], world["lobby"], DAY1, 2)
    send_at(world["cy"], world["dev"], DAY2, 2)

    result = stats_aggregate(settle=NOW, batch=2)

    assert result.messages == 7
    assert room_days() == {(DAY1.date(), "lobby"): (5, 2), (DAY2.date(), "dev"): (2, 1)}


def test_messages_younger_than_the_settle_time_wait_for_the_next_run(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 1)
    recent = timezone.now()
    send_at(world["bob"], world["lobby"], recent, 1)
    send_at(world["cy"], world["lobby"], DAY1, 1)  # a higher id than the recent one: waits behind it

    first = stats_aggregate(now=recent + timedelta(seconds=5), settle=timedelta(seconds=30))
    assert first.messages == 1
    second = stats_aggregate(now=recent + timedelta(seconds=31), settle=timedelta(seconds=30))
    assert second.messages == 2
    assert RoomDay.objects.get(day=DAY1.date()).messages == 2
    assert RoomDay.objects.get(day=recent.date()).messages == 1


def test_counts_outlive_a_purge_of_their_messages(world: dict) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 2)
    stats_aggregate(settle=NOW)
    Message.objects.all().delete()

    assert stats_aggregate(settle=NOW).messages == 0
    assert room_days() == {(DAY1.date(), "lobby"): (2, 1)}


def test_the_command_and_the_periodic_task_run_the_job(world: dict, settings: object) -> None:
    send_at(world["ann"], world["lobby"], DAY1, 2)
    out = io.StringIO()
    call_command("stats_aggregate", "--settle", "0", stdout=out)
    assert out.getvalue().startswith("Aggregated 2 message(s)")
    newest = Message.objects.order_by("-id").values_list("id", flat=True)[0]
    assert StatsCursor.objects.get().last_message_id == newest

    send_at(world["bob"], world["dev"], DAY1 - timedelta(days=1), 1)
    assert tasks.stats_aggregate.delay().get() == 1
    from config.celery import app

    entry = app.conf.beat_schedule["stats-aggregate"]
    assert entry["task"] == "parley.stats.tasks.stats_aggregate"
    assert float(entry["schedule"]) == 300.0
