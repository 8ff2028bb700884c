"""Attachments on the socket's `send`: the frame every member gets carries them."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.files.base import ContentFile

from parley.rooms import services as rooms
from parley.testing.api import make_user, token_for
from parley.testing.ws import WsClient
from parley.uploads import services as uploads
from parley.uploads.tests.conftest import png

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def setup() -> dict[str, Any]:
    owner, bob = make_user("up-own"), make_user("up-bob")
    room = rooms.room_create(owner=owner, name="up")
    rooms.room_join(room_id=room.pk, user=bob)
    files = [
        uploads.upload_create(uploader=owner, room_id=room.pk, file=ContentFile(png(), "a.png"), name="a.png")
        for _ in range(2)
    ]
    theirs = uploads.upload_create(uploader=bob, room_id=room.pk, file=ContentFile(b"hi"), name="b.txt")
    return {
        "room": room.pk,
        "tokens": [token_for(owner), token_for(bob)],
        "ids": [f.pk for f in files],
        "theirs": theirs.pk,
    }


async def test_a_socket_send_attaches_uploads_and_members_see_them() -> None:
    s = await setup()
    a, b = WsClient(s["tokens"][0]), WsClient(s["tokens"][1])
    assert (await a.connect())[0] and (await b.connect())[0]
    for cid, ids in (("bad-1", [s["theirs"]]), ("bad-2", [10**9])):
        await a.send({"type": "send", "room": s["room"], "body": "x", "client_id": cid, "attachments": ids})
        err = await a.recv_type("error")
        assert (err["code"], err["ref"]) == ("invalid", cid)
    await a.send({"type": "send", "room": s["room"], "body": "", "client_id": "f1", "attachments": s["ids"]})
    ack = await a.recv_type("ack")
    frame = await b.recv_type("message")
    assert frame["message"]["id"] == ack["id"] and frame["message"]["body"] == ""
    got = frame["message"]["attachments"]
    assert [x["id"] for x in got] == s["ids"]
    assert got[0]["url"] == f"/api/v1/uploads/{s['ids'][0]}/a.png" and got[0]["width"] == 40
    await a.send({"type": "send", "room": s["room"], "body": "", "client_id": "f2"})
    err = await a.recv_type("error")
    assert (err["code"], err["ref"]) == ("invalid", "f2")  # no body and no files
    await a.close()
    await b.close()
