"""The hub's ordering and repair, driven by a fake clock, store and backend: no sleeps."""

from __future__ import annotations

from parley.realtime.tests.fakes import Rig, settle

ROOM = 7


async def test_events_in_order_reach_every_socket_of_the_room_once() -> None:
    async with Rig() as rig:
        _, alice = await rig.socket({ROOM: 0}, user_id=1)
        _, bob = await rig.socket({ROOM: 0}, user_id=2)
        _, elsewhere = await rig.socket({99: 0}, user_id=3)
        for body in ("a", "b", "c"):
            _, data = rig.publish(ROOM, body)
            rig.hub.receive(data)
        await settle()
        assert alice.seqs() == bob.seqs() == [1, 2, 3]
        assert elsewhere.seqs() == []
        assert rig.store.event_reads == 0


async def test_an_early_event_waits_for_the_late_one_without_reading_the_log() -> None:
    async with Rig(reorder_wait=0.25) as rig:
        _, peer = await rig.socket({ROOM: 0})
        (_, first), (_, second) = rig.publish(ROOM, "a"), rig.publish(ROOM, "b")
        rig.hub.receive(second)  # two processes' publishes crossed
        await settle()
        assert peer.seqs() == []
        rig.hub.receive(first)
        await settle()
        assert peer.seqs() == [1, 2]
        await rig.clock.advance(1.0)
        assert rig.store.event_reads == 0


async def test_a_hole_that_does_not_fill_is_read_from_the_log_once_after_the_wait() -> None:
    async with Rig(reorder_wait=0.25) as rig:
        _, a = await rig.socket({ROOM: 0}, user_id=1)
        _, b = await rig.socket({ROOM: 0}, user_id=2)
        _, one = rig.publish(ROOM, "a")
        rig.publish(ROOM, "b")  # its signal is lost
        _, three = rig.publish(ROOM, "c")
        rig.hub.receive(one)
        rig.hub.receive(three)
        await settle()
        assert a.seqs() == [1]
        await rig.clock.advance(0.2)
        assert a.seqs() == [1]  # still within the reorder wait
        await rig.clock.advance(0.1)
        assert a.seqs() == b.seqs() == [1, 2, 3]
        assert rig.store.event_reads == 1  # once for the process, not once per socket


async def test_the_sweep_delivers_what_a_lost_signal_left_behind_one_interval_later() -> None:
    async with Rig(durable_signals=False, sweep_interval=5.0) as rig:
        _, peer = await rig.socket({ROOM: 0})
        _, one = rig.publish(ROOM, "a")
        rig.hub.receive(one)
        rig.publish(ROOM, "lost")  # committed, never signalled
        await settle()
        assert peer.seqs() == [1]
        await rig.clock.advance(5.0)
        # Under load the head is always a little ahead of delivery: the first sweep only notes it.
        assert peer.seqs() == [1]
        await rig.clock.advance(5.0)
        assert peer.seqs() == [1, 2]


async def test_a_resync_after_reconnecting_delivers_everything_committed_at_once() -> None:
    async with Rig(durable_signals=False, sweep_interval=5.0) as rig:
        _, peer = await rig.socket({ROOM: 0})
        for body in ("a", "b"):
            rig.publish(ROOM, body)  # published while the subscription was down
        rig.hub.resync()
        await settle()
        assert peer.seqs() == [1, 2]


async def test_a_resync_of_some_rooms_reads_only_those() -> None:
    """A Redis Cluster shard failed over: its rooms are repaired, the other shards' are not read."""
    async with Rig(durable_signals=False, sweep_interval=5.0) as rig:
        _, peer = await rig.socket({ROOM: 0, ROOM + 1: 0})
        rig.publish(ROOM, "on the failed shard")
        rig.publish(ROOM + 1, "on a healthy shard, its signal still on the way")
        rig.hub.resync([ROOM])
        await settle()
        assert (peer.seqs(ROOM), peer.seqs(ROOM + 1)) == ([1], [])
        assert rig.store.event_reads == 1


async def test_a_late_signal_for_what_the_log_already_gave_is_dropped() -> None:
    async with Rig(reorder_wait=0.25) as rig:
        _, peer = await rig.socket({ROOM: 0})
        (_, one), (_, two), (_, three) = (rig.publish(ROOM, b) for b in "abc")
        rig.hub.receive(one)
        rig.hub.receive(three)
        await rig.clock.advance(0.25)  # the hole (2) is read from the log
        rig.hub.receive(two)  # then its signal finally arrives
        await settle()
        assert peer.seqs() == [1, 2, 3]


async def test_a_newcomer_does_not_hide_an_event_still_in_flight_from_the_others() -> None:
    async with Rig() as rig:
        _, old = await rig.socket({ROOM: 0}, user_id=1)
        _, one = rig.publish(ROOM, "a")
        rig.hub.receive(one)
        _, two = rig.publish(ROOM, "b")  # committed; its signal is still on the way
        _, new = await rig.socket({ROOM: 2}, user_id=2)  # the newcomer's hello counted it
        rig.hub.receive(two)
        await settle()
        assert old.seqs() == [1, 2]
        assert new.seqs() == []


async def test_pings_go_to_every_socket_each_interval() -> None:
    async with Rig(ping_interval=25.0) as rig:
        _, peer = await rig.socket({ROOM: 0})
        await rig.clock.advance(24.0)
        assert "ping" not in peer.types()
        await rig.clock.advance(1.0)
        assert peer.types().count("ping") == 1


async def test_a_socket_that_answers_stays_and_one_heard_nothing_from_is_closed() -> None:
    async with Rig(ping_interval=25.0, ping_misses=2) as rig:
        answering, answering_peer = await rig.socket({ROOM: 0}, user_id=1)
        _, silent_peer = await rig.socket({ROOM: 0}, user_id=2)
        for _ in range(4):
            await rig.clock.advance(25.0)
            answering.heard()  # the client's `pong` (or any frame)
        assert silent_peer.closed_with == 4009
        assert silent_peer.types().count("ping") == 2  # at 25 and 50 s, unanswered: closed at 75 s
        assert answering_peer.closed_with is None
        assert answering_peer.types().count("ping") == 4
