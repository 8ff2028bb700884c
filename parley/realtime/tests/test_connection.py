"""One socket's hold, release and repair, and its bounded queue, on fakes: no sleeps."""

from __future__ import annotations

import json

from parley.realtime.connection import CLOSE_TOO_SLOW
from parley.realtime.outgoing import Outgoing
from parley.realtime.tests.fakes import Rig, settle

ROOM = 3


async def test_events_held_during_a_catch_up_are_released_in_order_without_repeats() -> None:
    async with Rig() as rig:
        conn, peer = await rig.socket({ROOM: 0})
        conn.syncing[ROOM] = []  # a catch-up is reading the log
        seqs = [rig.store.commit(ROOM, b) for b in "abcd"]
        for seq, text in reversed(seqs[2:]):
            conn.push_seq(ROOM, seq, Outgoing(text))
        await settle()
        assert peer.seqs() == []  # held
        conn.last[ROOM] = 2  # the catch-up delivered 1 and 2
        for _seq, text in seqs[:2]:
            peer.texts.append(text)
        conn.push_seq(ROOM, 4, Outgoing(seqs[3][1]))  # a duplicate arrives while held
        conn.release(ROOM)
        await settle()
        assert peer.seqs() == [1, 2, 3, 4]


async def test_a_socket_that_sees_a_jump_reads_the_hole_and_holds_what_comes_meanwhile() -> None:
    async with Rig() as rig:
        conn, peer = await rig.socket({ROOM: 0})
        seqs = [rig.store.commit(ROOM, b) for b in "abcd"]
        conn.push_seq(ROOM, 1, Outgoing(seqs[0][1]))
        conn.push_seq(ROOM, 3, Outgoing(seqs[2][1]))  # 2 is missing: repair starts
        conn.push_seq(ROOM, 4, Outgoing(seqs[3][1]))  # held while the log is read
        await settle()
        assert peer.seqs() == [1, 2, 3, 4]
        assert rig.store.event_reads == 1


async def test_resume_beyond_the_limit_says_gap_with_the_range_to_page() -> None:
    async with Rig(resume_limit=5) as rig:
        conn, peer = await rig.socket({ROOM: 0})
        for i in range(8):
            rig.store.commit(ROOM, f"m{i}")
        await conn.catch_up(ROOM, after=1)
        await settle()
        (frame,) = [json.loads(t) for t in peer.texts]
        assert frame == {"type": "gap", "room": ROOM, "after_seq": 1, "until_seq": 8}
        assert conn.last[ROOM] == 8


async def test_resume_within_the_limit_replays_exactly_the_missed_events() -> None:
    async with Rig(resume_limit=5) as rig:
        conn, peer = await rig.socket({ROOM: 0})
        for i in range(4):
            rig.store.commit(ROOM, f"m{i}")
        await conn.catch_up(ROOM, after=1)
        await settle()
        assert peer.seqs() == [2, 3, 4]


async def test_a_peer_that_stops_reading_is_closed_when_its_queue_is_full() -> None:
    async with Rig(queue_max=5) as rig:
        conn, peer = await rig.socket({ROOM: 0})
        peer.stalled = True
        for i in range(8):
            seq, text = rig.store.commit(ROOM, f"m{i}")
            conn.push_seq(ROOM, seq, Outgoing(text))
        await settle()
        assert peer.closed_with == CLOSE_TOO_SLOW
        assert conn not in rig.hub.conns
        assert not conn.queue  # nothing kept for a closed socket


async def test_leaving_a_room_stops_its_delivery_at_once() -> None:
    async with Rig() as rig:
        conn, peer = await rig.socket({ROOM: 0})
        await conn.leave_room(ROOM, None)
        _, data = rig.publish(ROOM, "after leaving")
        rig.hub.receive(data)
        await settle()
        assert peer.seqs() == []
        assert ROOM not in rig.hub.rooms
