"""A room export is streamed (issue 32): exporting a 100,000-message room costs a server
process less than 100 MiB beyond what it used before. Measured as the peak RSS growth of a
separate process that builds the export (as parley/uploads/tests/test_image_memory.py
measures thumbnails, but from the RSS just before, the earlier peak reset through
/proc/self/clear_refs), on a PostgreSQL database another process filled. Slow (it fills
100,000 rows): it runs in the services pass."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from parley.testing.live import ROOT, base_env, migrate, private_database, services_or_skip

MIB = 1024 * 1024

pytestmark = [pytest.mark.processes, pytest.mark.services]

# Fills a fresh database: a room of N messages (bodies of ~120 characters, a reaction on every
# tenth, a reply every hundredth), in bulk.
_FILL = """
import sys
import django
django.setup()
from django.utils import timezone
from parley.accounts.models import User
from parley.messaging.models import Message, Reaction
from parley.rooms.models import Membership, Room

n = int(sys.argv[1])
owner = User.objects.create(username="owner")
other = User.objects.create(username="other")
small = Room.objects.create(name="small", owner=owner)
big = Room.objects.create(name="big", owner=owner, last_seq=n)
Membership.objects.bulk_create([Membership(room=big, user=owner), Membership(room=big, user=other)])
for room, count in ((small, 50), (big, n)):
    now = timezone.now()
    for start in range(0, count, 5000):
        Message.objects.bulk_create(
            Message(room=room, seq=i + 1, sender=owner if i % 3 else other, client_id=f"{room.pk}-{i}",
                    body=f"message {i}: " + "the quick brown fox jumps over the lazy dog; " * 2,
                    created_at=now, mentions=[other.pk] if i % 50 == 0 else [])
            for i in range(start, min(start + 5000, count))
        )
Room.objects.filter(pk=small.pk).update(last_seq=50)
ids = list(Message.objects.filter(room=big).order_by("seq").values_list("pk", flat=True))
Reaction.objects.bulk_create(
    [Reaction(message_id=pk, user=other, emoji="\\U0001f44d", created_at=timezone.now()) for pk in ids[::10]],
    batch_size=5000,
)
replies = [Message(pk=pk, reply_to_id=ids[i - 1]) for i, pk in enumerate(ids) if i % 100 == 1]
Message.objects.bulk_update(replies, ["reply_to"], batch_size=2000)
print(len(ids))
"""

# Builds the small room's export (warming up), then the big one's; prints the peak growth.
_PROBE = """
import json
import django
django.setup()
from parley.accounts.models import User
from parley.actions.models import RoomExport
from parley.actions.room_export import export_build
from parley.rooms.models import Room

owner = User.objects.get(username="owner")
def build(name):
    room = Room.objects.get(name=name)
    export = RoomExport.objects.create(
        room=room, requested_by=owner, through_seq=room.last_seq, total=room.last_seq
    )
    assert export_build(export_id=export.pk)
    return RoomExport.objects.get(pk=export.pk)
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
build("small")
# The peak so far (setting Django up) is forgotten: VmHWM restarts from the current RSS.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
made = build("big")
growth = status("VmHWM") - before
print(json.dumps({"state": made.state, "size": made.size, "before": before, "peak_growth": growth}))
"""


def test_exporting_a_100000_message_room_costs_under_100_mib() -> None:
    services_or_skip(redis=False)  # slow: the services pass, on a PostgreSQL database of its own
    with private_database("postgres") as database_url:
        env = base_env(database_url, DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings")

        def run(*args: str) -> str:
            done = subprocess.run(
                args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True
            )
            return done.stdout.strip().splitlines()[-1]

        migrate(env)
        assert run(sys.executable, "-c", _FILL, "100000") == "100000"
        found = json.loads(run(sys.executable, "-c", _PROBE))
    print("room export of 100,000 messages:", found)
    assert found["state"] == "done"
    assert found["size"] > 20 * MIB  # the document is far larger than what the process may add
    assert found["peak_growth"] < 100 * MIB, found
