"""Retention: manage.py purge, and a client resuming across a purge gets a gap, never a wrong message."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from parley.messaging.models import Message, RoomEvent
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.testing.api import make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async


def _room_with(n_old: int, n_new: int, name: str = "purged") -> dict[str, Any]:
    owner, member = make_user(f"{name}-own"), make_user(f"{name}-mem")
    room = rooms.room_create(owner=owner, name=name)
    rooms.room_join(room_id=room.pk, user=member)
    for i in range(n_old + n_new):
        message_send(sender=owner, room_id=room.pk, body=f"m{i + 1}", client_id=f"c{i}")
    old = timezone.now() - timedelta(days=2)
    Message.objects.filter(room=room, seq__lte=n_old).update(created_at=old)
    RoomEvent.objects.filter(room=room, seq__lte=n_old).update(created_at=old)
    return {"room": room, "owner": owner, "member": member, "token": token_for(member)}


@pytest.mark.django_db
def test_purge_deletes_old_messages_and_their_log_with_a_summary() -> None:
    setup = _room_with(3, 2)
    keep = _room_with(2, 0, name="other")
    out, err = io.StringIO(), io.StringIO()
    call_command("purge", "--older-than", "24h", "--room", "PURGED", stdout=out, stderr=err)
    assert "Deleted 3 message(s) and 3 log entries" in out.getvalue()
    assert "purged: 3" in out.getvalue()
    assert "[##############################] 3/3 messages" in err.getvalue()
    assert list(Message.objects.filter(room=setup["room"]).values_list("seq", flat=True)) == [4, 5]
    assert RoomEvent.objects.filter(room=setup["room"]).count() == 2
    assert Message.objects.filter(room=keep["room"]).count() == 2  # another room: untouched
    setup["room"].refresh_from_db()
    assert setup["room"].last_seq == 5  # the head never moves back: seqs are not reused


@pytest.mark.django_db
def test_purge_dry_run_deletes_nothing_and_bad_arguments_fail() -> None:
    setup = _room_with(2, 1)
    out = io.StringIO()
    call_command("purge", "--older-than", "1d", "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Would delete 2 message(s)" in out.getvalue()
    assert Message.objects.filter(room=setup["room"]).count() == 3
    with pytest.raises(CommandError):
        call_command("purge", "--older-than", "soon")
    with pytest.raises(CommandError):
        call_command("purge", "--older-than", "1h", "--room", "no-such-room")


@pytest.mark.django_db
def test_the_periodic_purge_task_is_off_unless_configured(settings: Any) -> None:
    from parley.messaging.tasks import messages_purge

    setup = _room_with(2, 1)
    settings.PURGE_OLDER_THAN = 0
    assert messages_purge.delay().get() == 0
    settings.PURGE_OLDER_THAN = 86400
    assert messages_purge.delay().get() == 2
    assert Message.objects.filter(room=setup["room"]).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_client_resuming_from_before_a_purge_gets_a_gap_then_what_remains() -> None:
    setup = await db(_room_with)(4, 3)
    rid = setup["room"].pk
    await db(call_command)("purge", "--older-than", "24h", stdout=io.StringIO(), stderr=io.StringIO())
    client = WsClient(setup["token"])
    assert (await client.connect())[0]
    await client.send({"type": "resume", "rooms": {str(rid): 1}})
    gap = await client.recv_type("gap")
    assert gap == {"type": "gap", "room": rid, "after_seq": 1, "until_seq": 4}
    frames = await client.messages(3)
    assert [(f["seq"], f["message"]["body"]) for f in frames] == [(5, "m5"), (6, "m6"), (7, "m7")]
    await client.nothing()
    await client.close()


@pytest.mark.django_db(transaction=True)
async def test_a_client_resuming_when_everything_was_purged_gets_a_gap() -> None:
    setup = await db(_room_with)(3, 0)
    rid = setup["room"].pk
    await db(call_command)("purge", "--older-than", "24h", stdout=io.StringIO(), stderr=io.StringIO())
    client = WsClient(setup["token"])
    assert (await client.connect())[0]
    await client.send({"type": "resume", "rooms": {str(rid): 0}})
    assert await client.recv_type("gap") == {"type": "gap", "room": rid, "after_seq": 0, "until_seq": 3}
    await db(message_send)(sender=setup["owner"], room_id=rid, body="after", client_id="after")
    (live,) = await client.messages(1)
    assert (live["seq"], live["message"]["body"]) == (4, "after")
    await client.close()
