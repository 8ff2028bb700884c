"""A person's presence across processes (issue 30): two real uvicorn processes on
PostgreSQL + Redis with a short AWAY_AFTER. Someone connected to one process is online,
away, in do-not-disturb or offline for a viewer on the other, live and in member lists;
activity on either process keeps them online."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.remote import RemoteUser, Socket

AWAY_AFTER = 2.0


@pytest.fixture(scope="module")
def away_cluster() -> Iterator[list[ServerProcess]]:
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        env = base_env(db, redis_url, AWAY_AFTER=str(AWAY_AFTER))
        migrate(env)
        servers = [ServerProcess(env).start(), ServerProcess(env).start()]
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()


async def presence_of(sock: Socket, user_id: int, state: str, timeout: float = 10) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await sock.recv_type("presence", timeout=max(0.1, deadline - loop.time()))
        if frame.get("user_id") == user_id and frame.get("state") == state:
            return frame


def state_in_members(viewer: RemoteUser, room: int, user_id: int) -> str:
    r = viewer.http.get(f"rooms/{room}/members")
    r.raise_for_status()
    return next(m["state"] for m in r.json()["members"] if m["user"]["id"] == user_id)  # type: ignore[no-any-return]


async def members_say(viewer: RemoteUser, room: int, user_id: int, state: str) -> None:
    """The member list shows `state` within the presence reads' one-second cache."""
    for _ in range(30):
        if state_in_members(viewer, room, user_id) == state:
            return
        await asyncio.sleep(0.1)
    assert state_in_members(viewer, room, user_id) == state


@pytest.mark.processes
async def test_presence_states_cross_processes(away_cluster: list[ServerProcess]) -> None:
    one, two = away_cluster
    ann, bob = RemoteUser.register(one.url), RemoteUser.register(two.url)
    room = ann.create_room()["id"]
    bob.join(room)
    ann_ws = await ann.socket(one.url)
    bob_ws = await bob.socket(two.url)
    try:
        await presence_of(ann_ws, bob.user["id"], "online")
        await members_say(ann, room, bob.user["id"], "online")  # asked of the other process

        until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        r = bob.http.patch("me", json={"status": {"emoji": "🚆", "text": "Commuting"}, "dnd_until": until})
        assert r.status_code == 200, r.text
        frame = await presence_of(ann_ws, bob.user["id"], "dnd")
        assert frame["status"]["text"] == "Commuting"
        assert bob.http.patch("me", json={"dnd_until": None}).status_code == 200
        await presence_of(ann_ws, bob.user["id"], "online")

        # Idle on process two, seen away from process one; activity brings him back.
        await presence_of(ann_ws, bob.user["id"], "away", timeout=AWAY_AFTER * 5)
        await members_say(ann, room, bob.user["id"], "away")
        await bob_ws.send({"type": "typing", "room": room})
        await presence_of(ann_ws, bob.user["id"], "online")

        # A second socket on process one, active there: the idle tab on two does not make
        # him away while he keeps typing on one.
        bob_one = await bob.socket(one.url)
        await asyncio.sleep(1.1)
        for _ in range(int(AWAY_AFTER * 2)):
            await bob_one.send({"type": "typing", "room": room})
            await asyncio.sleep(0.5)
            assert state_in_members(ann, room, bob.user["id"]) == "online"
        await bob_one.close()
        await bob_ws.close()
        await presence_of(ann_ws, bob.user["id"], "offline")
        await members_say(ann, room, bob.user["id"], "offline")
    finally:
        await ann_ws.close()
