"""rooms: strip the leading '#' from the names of rooms made before the services did.

Clients show a room as "#name"; a name stored as "#lounge" showed as "##lounge" (the report
queue, search, the room list). Since issue 27 `room_create` and `room_update` strip it; this
brings the older rows in line. A stripped name that another room already holds (the rule:
room names are unique regardless of case, direct messages apart) takes the first free
"-2", "-3", ... suffix, cut to fit the column; the older room keeps the bare name. A name
of nothing but '#' becomes "room-<id>". Not reversible (the old names are not kept), and
nothing to undo: going back leaves the cleaned names.
"""

import re

from django.db import migrations

NAME_MAX = 64  # parley.rooms.models.NAME_MAX at the time of writing
# Leading spaces and '#' (or the full-width U+FF03), as parley.rooms.services._clean_name strips.
LEADING = re.compile(r"^[\s#\uff03]+")


def stripped(name: str) -> str:
    return " ".join(LEADING.sub("", name).split())


def free_name(base: str, taken: set[str]) -> str:
    if base.lower() not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: NAME_MAX - len(suffix)].rstrip() + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1


def strip_hashes(apps, schema_editor):
    Room = apps.get_model("rooms", "Room")
    rooms = Room.objects.using(schema_editor.connection.alias).filter(kind="room")
    hashed = [room for room in rooms.order_by("id") if LEADING.match(room.name)]
    if not hashed:
        return
    renamed = {room.pk for room in hashed}
    taken = {name.lower() for pk, name in rooms.values_list("id", "name") if pk not in renamed}
    for room in hashed:
        room.name = free_name(stripped(room.name) or f"room-{room.pk}", taken)
        taken.add(room.name.lower())
        room.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0002_pins"),
    ]

    operations = [
        migrations.RunPython(strip_hashes, migrations.RunPython.noop, elidable=True),
    ]
