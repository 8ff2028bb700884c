"""The compact wire form (issue 34): what it leaves out, that it expands back exactly, and
that a process makes each event's compact frame once, whatever the number of sockets.

The cases are the frames the server really sends (the client fixtures, captured from a
conversation) plus a few made here for fields that conversation leaves at their default.
With `PARLEY_WRITE_FIXTURES=1` the pairs (full, compact) are written for the web client's
spec (`frontend/src/realtime/__fixtures__/compact-frames.json`), so the client's
`expandFrame` is held to this module's `expand`; without it the committed file is checked.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from parley.realtime import compact, outgoing, protocol
from parley.realtime.outgoing import Outgoing
from parley.realtime.tests.fakes import Rig, event, settle

FRONT = Path(__file__).resolve().parents[3] / "frontend/src/realtime/__fixtures__"
SERVER_FRAMES = FRONT / "server-frames.json"
COMPACT_FRAMES = FRONT / "compact-frames.json"


def _made_cases(frames: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Message frames with the fields the captured conversation leaves at their default."""
    reply = frames["message:reply"]
    alice = frames["hello"]["user"]
    bob = reply["message"]["sender"]
    files = copy.deepcopy(reply)
    files["message"].update(
        attachments=[
            {
                "id": 7,
                "url": "/api/v1/uploads/7/notes.pdf",
                "name": "notes.pdf",
                "size": 1234,
                "content_type": "application/pdf",
                "width": None,
                "height": None,
                "thumbnail_url": None,
            },
            {
                "id": 8,
                "url": "/api/v1/uploads/8/cat.png",
                "name": "cat.png",
                "size": 0,
                "content_type": "image/png",
                "width": 640,
                "height": 0,
                "thumbnail_url": "/api/v1/uploads/8/thumb.webp",
            },
        ],
        previews=[
            {
                "url": "https://a.example",
                "title": "A",
                "description": "",
                "image_url": None,
                "site_name": "a",
            },
            {
                "url": "https://b.example",
                "title": "",
                "description": "B",
                "image_url": "/p/1.png",
                "site_name": "",
            },
        ],
        mentions_room=True,
        also_to_room=True,
        thread=3,
        scheduled_for="2026-12-07T13:00:00Z",
        reactions=[],
    )
    people = copy.deepcopy(frames["message.updated:thread"])
    renamed = {**bob, "display_name": "Bobby"}  # the same id named otherwise: written out
    guest = {**alice, "id": 9, "username": "guest-9", "display_name": "Visitor", "is_guest": True}
    people["message"]["reply_to"] = {**reply["message"]["reply_to"], "deleted": True, "excerpt": ""}
    people["message"]["thread_summary"].update(participants=[guest, renamed, bob, guest], following=False)
    elsewhere = copy.deepcopy(frames["message"])  # a message naming another room and seq than its frame
    elsewhere["message"].update(room=elsewhere["room"] + 1, seq=0, client_id="", body="", deleted=True)
    return {"made:attachments": files, "made:participants": people, "made:elsewhere": elsewhere}


def cases() -> dict[str, dict[str, Any]]:
    frames = json.loads(SERVER_FRAMES.read_text(encoding="utf-8"))["frames"]
    picked = {name: f for name, f in frames.items() if f["type"] in compact.MESSAGE_TYPES}
    return {**picked, **_made_cases(frames)}


def pairs() -> dict[str, dict[str, Any]]:
    return {
        name: {"full": frame, "compact": json.loads(compact.compact_text(protocol.encode(frame)))}
        for name, frame in sorted(cases().items())
    }


def test_every_case_expands_to_the_full_frame_and_validates() -> None:
    for name, pair in pairs().items():
        protocol.server_frame_adapter.validate_python(pair["full"])
        protocol.validate_server_frame(pair["compact"], compact=True)
        assert compact.expand(pair["compact"]) == pair["full"], name
        assert len(protocol.encode(pair["compact"])) < len(protocol.encode(pair["full"])), name


def test_what_the_compact_form_leaves_out() -> None:
    got = pairs()
    plain = got["message"]["compact"]["message"]
    assert set(plain) == {"id", "sender", "body", "created_at", "client_id"}  # room and seq: the frame's
    assert plain["sender"] == {"id": 2, "username": "bob", "avatar": "/static/avatars/otter.svg"}
    reply = got["message:reply"]["compact"]["message"]
    assert reply["reply_to"]["sender"] == {"id": 2}  # named already, as the sender
    assert reply["mentions"] == [1]
    updated = got["message.updated"]["compact"]
    assert updated["message"]["seq"] == 3 != updated["seq"]  # the message's own seq is not the event's
    people = got["made:participants"]["compact"]["message"]["thread_summary"]
    assert people["following"] is False  # false is not this field's default (null)
    first, renamed, bob, again = people["participants"]
    assert first["display_name"] == "Visitor" and first["is_guest"] is True
    assert renamed["display_name"] == "Bobby" and bob == {"id": 2} and again == {"id": 9}
    files = got["made:attachments"]["compact"]["message"]
    assert "width" not in files["attachments"][0] and files["attachments"][1]["height"] == 0  # 0 stays
    assert files["previews"][0].keys() == {"url", "title", "site_name"}
    assert files["previews"][1]["title"] == ""  # only the listed fields have a default
    elsewhere = got["made:elsewhere"]["compact"]["message"]
    assert elsewhere["room"] != got["made:elsewhere"]["compact"]["room"] and elsewhere["seq"] == 0
    assert "body" not in elsewhere and "client_id" not in elsewhere


def test_other_frames_and_unreadable_ones_pass_as_they_are() -> None:
    for text in (
        protocol.reaction(room=1, seq=2, message_id=3, emoji="👍", user={"id": 1}, op="add"),
        protocol.PING,
        '{"type":"message","room":1,"seq":2,"message":"not an object"}',
        '{"type":"message","room":1',
        "",
    ):
        assert compact.compact_text(text) is text
        out = Outgoing(text)
        assert out.compact is out


def test_the_client_fixture_of_pairs_is_current() -> None:
    doc = {
        "comment": "Made by parley/realtime/tests/test_compact.py (PARLEY_WRITE_FIXTURES=1) from "
        "server-frames.json: each message frame in full and in the compact form. Do not edit.",
        "pairs": pairs(),
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("PARLEY_WRITE_FIXTURES") == "1":
        COMPACT_FRAMES.write_text(text, encoding="utf-8")
    assert COMPACT_FRAMES.read_text(encoding="utf-8") == text, (
        "rewrite: PARLEY_WRITE_FIXTURES=1 pytest " + __file__
    )


ROOM = 12


def commit(rig: Rig, body: str) -> tuple[int, str]:
    """Log a message as a service does (a whole `MessageOut`); its seq and wire event."""
    log = rig.store.log.setdefault(ROOM, [])
    seq = len(log) + 1
    message = {**cases()["message"]["message"], "room": ROOM, "seq": seq, "body": body}
    log.append(protocol.message(room=ROOM, seq=seq, message=message))
    return seq, event(ROOM, seq, log[-1])


async def test_a_room_event_is_compacted_once_for_all_compact_sockets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    real = outgoing.compact_text

    def counting(text: str) -> str:
        made.append(text)
        return real(text)

    monkeypatch.setattr(outgoing, "compact_text", counting)
    async with Rig() as rig:
        fulls = [await rig.socket({ROOM: 0}, user_id=n) for n in (1, 2)]
        compacts = [await rig.socket({ROOM: 0}, user_id=n, compact=True) for n in (3, 4, 5)]
        for body in ("one", "two"):
            rig.hub.receive(commit(rig, body)[1])
        await settle()
    assert len(made) == 2  # once per event, not per compact socket
    logged = rig.store.log[ROOM]
    for _conn, peer in fulls:
        assert peer.texts == logged
    for _conn, peer in compacts:
        assert peer.texts == [real(text) for text in logged] != logged
        assert [compact.expand(json.loads(t)) for t in peer.texts] == [json.loads(t) for t in logged]


async def test_replays_are_compact_and_compacted_once_per_process() -> None:
    compact._compact_message_text.cache_clear()
    async with Rig() as rig:
        for i in range(3):
            commit(rig, f"m{i}")
        peers = []
        for n in (1, 2):
            conn, peer = await rig.socket({ROOM: 3}, user_id=n, compact=True)
            await conn.catch_up(ROOM, after=0)  # a resume from the start
            peers.append(peer)
        full, full_peer = await rig.socket({ROOM: 3}, user_id=9)
        await full.catch_up(ROOM, after=0)
        await settle()
    expected = [compact.compact_text(text) for text in rig.store.log[ROOM]]
    assert peers[0].texts == peers[1].texts == expected
    assert full_peer.texts == rig.store.log[ROOM]
    assert compact._compact_message_text.cache_info().misses == 3  # one per event, both sockets


async def test_a_hole_the_hub_repairs_from_the_log_reaches_compact_sockets_compact() -> None:
    async with Rig(reorder_wait=0.25) as rig:
        _, small = await rig.socket({ROOM: 0}, user_id=1, compact=True)
        _, full = await rig.socket({ROOM: 0}, user_id=2)
        _, one = commit(rig, "a")
        commit(rig, "b")  # its signal is lost
        _, three = commit(rig, "c")
        rig.hub.receive(one)
        rig.hub.receive(three)
        await rig.clock.advance(0.3)
    assert full.texts == rig.store.log[ROOM]
    assert small.texts == [compact.compact_text(text) for text in rig.store.log[ROOM]]
    assert rig.store.event_reads == 1
