"""Migration rooms 0003: rooms named "#lounge" before the services stripped the '#' lose it,
and a name that would then collide takes a suffix instead of breaking the unique name."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("rooms", "0001_squashed")
AFTER = ("rooms", "0003_room_names_without_hash")


def migrate(target: tuple[str, str]) -> Any:
    """Migrate to `target` and return the apps (historical models) as of it."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_leading_hashes_are_stripped_and_collisions_take_a_suffix() -> None:
    old = migrate(BEFORE)
    try:
        User, Room = old.get_model("accounts", "User"), old.get_model("rooms", "Room")
        owner = User.objects.create(username="migration-owner")
        named: dict[str, int] = {}
        for name, kind in [
            ("#lounge", "room"),  # older than the bare one: still takes the suffix
            ("Lounge", "room"),  # made after the fix: keeps its name
            ("##lounge", "room"),
            ("\uff03den", "room"),
            ("#", "room"),
            ("# x" + "y" * 61, "room"),  # 64 characters: the suffix is cut to fit
            ("xy" + "y" * 60, "room"),
            ("#dm", "direct"),  # a direct message's name is derived: left alone
            ("plain", "room"),
        ]:
            room = Room.objects.create(owner=owner, name=name, kind=kind, dm_key=None)
            named[name] = room.pk

        new = migrate(AFTER)
        names = dict(new.get_model("rooms", "Room").objects.values_list("id", "name"))
        assert names[named["Lounge"]] == "Lounge"
        assert names[named["#lounge"]] == "lounge-2"
        assert names[named["##lounge"]] == "lounge-3"
        assert names[named["\uff03den"]] == "den"
        assert names[named["#"]] == f"room-{named['#']}"
        long_name = names[named["# x" + "y" * 61]]
        assert long_name == "x" + "y" * 61 + "-2" and len(long_name) <= 64
        assert names[named["#dm"]] == "#dm"
        assert names[named["plain"]] == "plain"
        rooms = [n.lower() for pk, n in names.items() if pk != named["#dm"]]
        assert len(rooms) == len(set(rooms))
    finally:
        latest()
