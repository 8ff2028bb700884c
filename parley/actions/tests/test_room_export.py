"""GET rooms/{id}/export (issue 32): the owner or staff gets the room's JSON (or a zip with
its files), built by a job: 202 with progress while it runs, then 200 with the file."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from parley.actions.models import RoomExport
from parley.actions.tasks import room_export_build
from parley.messaging.services import message_delete, message_edit, message_send, reaction_change
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def room() -> dict[str, Any]:
    owner, member = make_user("exp-owner"), make_user("exp-member")
    room = rooms.room_create(owner=owner, name="archive", visibility="private")
    rooms.member_add(room_id=room.pk, actor=owner, username="exp-member")
    first = message_send(sender=owner, room_id=room.pk, body="hello **all**").message
    reply = message_send(sender=member, room_id=room.pk, body="hi", reply_to=first.pk).message
    gone = message_send(sender=member, room_id=room.pk, body="oops").message
    in_thread = message_send(sender=member, room_id=room.pk, body="in the thread", thread=first.pk).message
    reaction_change(actor=member, message_id=first.pk, emoji="👍", op="add")
    reaction_change(actor=owner, message_id=first.pk, emoji="👍", op="add")
    message_edit(actor=owner, message_id=first.pk, body="hello **everyone**")
    message_delete(actor=member, message_id=gone.pk)
    api = client_for(owner)
    upload = api.post(
        f"/api/v1/rooms/{room.pk}/uploads", {"file": _named(b"notes\n", "notes.txt")}, format="multipart"
    ).json()
    api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "", "attachments": [upload["id"]]}, format="json")
    return {
        "room": room,
        "owner": owner,
        "member": member,
        "api": api,
        "first": first,
        "reply": reply,
        "in_thread": in_thread,
    }


def _named(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def test_the_owner_gets_202_with_progress_then_the_json(
    room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    api, rid = room["api"], room["room"].pk
    with django_capture_on_commit_callbacks(execute=False) as jobs:
        started = api.get(f"/api/v1/rooms/{rid}/export")
    assert started.status_code == 202, started.content
    status = started.json()
    assert (status["state"], status["progress"], status["total"], status["files"]) == (
        "queued",
        0.0,
        5,
        False,
    )
    assert started["Location"] == f"/api/v1/rooms/{rid}/export" == status["status_url"]
    assert len(jobs) == 1  # the job, scheduled after commit

    # Asking again while it is queued or running answers its progress, and starts nothing new.
    RoomExport.objects.filter(pk=status["id"]).update(state="running", done=2, total=4)
    with django_capture_on_commit_callbacks(execute=False) as again:
        polled = api.get(f"/api/v1/rooms/{rid}/export").json()
    assert (polled["id"], polled["state"], polled["progress"]) == (status["id"], "running", 0.5)
    assert again == []
    RoomExport.objects.filter(pk=status["id"]).update(state="queued", done=0)

    assert room_export_build.delay(status["id"]).get() is True
    done = api.get(f"/api/v1/rooms/{rid}/export")
    assert done.status_code == 200
    assert done["Content-Type"] == "application/json"
    assert done["Content-Disposition"].startswith('attachment; filename="parley-archive-')
    data = json.loads(_body(done))
    assert data["room"]["name"] == "archive"
    assert [m["seq"] for m in data["messages"]] == sorted(m["seq"] for m in data["messages"])
    first, reply, gone, threaded, shared = data["messages"]
    assert (threaded["thread"], threaded["body"], first["thread"]) == (first["id"], "in the thread", None)
    assert first["body"] == "hello **everyone**" and first["edited_at"] is not None
    assert first["reactions"] == [{"emoji": "👍", "users": [room["member"].pk, room["owner"].pk]}]
    assert reply["reply_to"] == first["id"]
    assert (gone["deleted"], gone["body"]) == (True, "")
    assert shared["attachments"][0]["name"] == "notes.txt" and "file" not in shared["attachments"][0]
    assert {p["username"] for p in data["people"]} == {"exp-owner", "exp-member"}
    assert [m["user"] for m in data["members"]] == [room["owner"].pk, room["member"].pk]


def test_with_files_it_is_a_zip_and_a_changed_room_is_exported_anew(
    room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    api, rid = room["api"], room["room"].pk
    with django_capture_on_commit_callbacks(execute=True):
        first = api.get(f"/api/v1/rooms/{rid}/export", {"files": "1"})
    assert first.status_code == 202  # answered before the job ran
    built = api.get(f"/api/v1/rooms/{rid}/export", {"files": "1"})
    assert built.status_code == 200 and built["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(_body(built)))
    document = json.loads(archive.read("room.json"))
    attachment = document["messages"][-1]["attachments"][0]
    assert archive.read(attachment["file"]) == b"notes\n"
    assert sorted(archive.namelist()) == sorted(["room.json", attachment["file"]])

    message_send(sender=room["owner"], room_id=rid, body="one more")
    with django_capture_on_commit_callbacks(execute=True):
        again = api.get(f"/api/v1/rooms/{rid}/export", {"files": "1"})
    assert again.status_code == 202 and again.json()["id"] != first.json()["id"]
    assert again.json()["total"] == 6


def test_only_the_owner_or_staff_may_export(
    room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    rid = room["room"].pk
    refused = client_for(room["member"]).get(f"/api/v1/rooms/{rid}/export")
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_owner"
    assert client_for(make_user("stranger")).get(f"/api/v1/rooms/{rid}/export").status_code == 404
    assert client_for().get(f"/api/v1/rooms/{rid}/export").status_code == 401
    staff = make_user("exp-staff")
    staff.is_staff = True
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(staff).get(f"/api/v1/rooms/{rid}/export").status_code == 202
    assert client_for(staff).get(f"/api/v1/rooms/{rid}/export").status_code == 200
    assert room["api"].get(f"/api/v1/rooms/{rid}/export", {"files": "maybe"}).status_code == 400
