"""manage.py import_slack on an export built in Slack's documented format (issue 32):
people, public and private channels, a group DM and a DM, 10,000 messages in time order,
a thread, reactions, an edit, files, markup; skipped things reported; a second run
makes nothing again."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parley.accounts.models import User
from parley.actions.models import ImportKey
from parley.messaging.models import Message, Reaction, RoomEvent, ThreadSummary
from parley.rooms import services as rooms
from parley.rooms.models import Membership, Room
from parley.testing.api import client_for, make_user
from parley.testing.slack_export import FILE_TEXT, build_export
from parley.uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


def _run(path: Path) -> tuple[str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    call_command("import_slack", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), time.monotonic() - started


@pytest.fixture(scope="module")
def export(tmp_path_factory: Any) -> Path:
    path = tmp_path_factory.mktemp("slack") / "export.zip"
    build_export(path, messages=10_000)
    return path


def test_a_slack_export_is_imported_once_with_its_history(export: Path) -> None:
    admin = make_user("parley-admin")  # registering makes the main room, "general", if need be
    if not Room.objects.filter(name__iexact="general").exists():
        rooms.room_create(owner=admin, name="general")
    out, err, took = _run(export)
    assert "Imported 6 people, 7 rooms, 10000 messages" in out, out
    assert took < 60, took
    assert "1 unknown subtype: weird_subtype" in out
    assert "1 room notice: channel_join" in out
    assert "1 reaction with a custom emoji" in out
    assert "1 file not in the export (kept as a line)" in out
    assert "random: 1000/1428" in err  # progress while it runs
    assert Message.objects.count() == 10_000

    # People: accounts nobody can sign in to until they claim them.
    alice = User.objects.get(username="alice")
    assert (alice.display_name, alice.email, alice.email_verified) == ("Alice L", "alice@example.com", False)
    assert not alice.has_usable_password()
    assert User.objects.get(username="dave").is_active is False
    assert User.objects.get(username="deploybot").is_bot
    ci = User.objects.get(username="ci-bot")  # a bot_message's poster
    assert (ci.display_name, ci.is_bot) == ("ci", True)

    # Rooms: public, private, archived (closed), a group DM and a DM.
    # Parley's own main room is "general" already: the channel keeps its name with a suffix.
    general = Room.objects.get(pk=ImportKey.objects.get(kind="room", key="C001").local_id)
    assert general.name == "general-2"
    assert (general.visibility, general.topic, general.owner.username) == ("public", "Company-wide", "alice")
    assert Room.objects.get(name="secret-plans").visibility == "private"
    assert Room.objects.get(name="old-stuff").closed
    dms = Room.objects.filter(kind="direct")
    assert sorted(len((r.dm_key or "").split(",")) for r in dms) == [2, 3]
    assert set(Membership.objects.filter(room=general).values_list("user__username", flat=True)) == {
        "alice", "bob", "carol.k", "ci-bot",
    }  # fmt: skip

    # Messages: seq in time order, original times, the log's frames, nothing unread.
    rows = list(Message.objects.filter(room=general).order_by("seq").values_list("seq", "created_at"))
    assert [seq for seq, _t in rows] == list(range(1, len(rows) + 1))
    assert [t for _s, t in rows] == sorted(t for _s, t in rows)
    assert rows[0][1].year == 2024
    general.refresh_from_db()
    assert general.last_seq == len(rows)
    assert RoomEvent.objects.filter(room=general).count() == len(rows)
    assert set(Membership.objects.filter(room=general).values_list("last_read_seq", flat=True)) == {len(rows)}

    root = Message.objects.get(room=general, seq=1)
    assert root.body == (
        "Thread root: **plan** for @bob in #random, see [the_doc](https://example.com/a_b) & *more* ~~old~~"
    )
    assert root.edited_at is not None and root.edited_at > root.created_at
    assert root.mentions == [User.objects.get(username="bob").pk]
    assert sorted(Reaction.objects.filter(message=root).values_list("emoji", flat=True)) == ["🎉", "👍", "👍"]
    # The thread: its replies, the one also sent to the channel, the root's summary.
    replies = list(Message.objects.filter(thread=root).order_by("seq").values_list("body", "also_to_room"))
    assert replies == [("First reply", False), ("Second reply with `*code*`", True)]
    summary = ThreadSummary.objects.get(root=root)
    assert (summary.reply_count, [p["username"] for p in summary.participants]) == (2, ["carol.k", "bob"])
    assert summary.last_reply_at == Message.objects.filter(thread=root).order_by("-seq")[0].created_at

    shared = Message.objects.get(room=general, body__startswith="Notes attached")
    assert "📎 slides.pdf (123456 bytes, application/pdf)" in shared.body
    (upload,) = Upload.objects.filter(message=shared)
    assert upload.name == "notes.txt" and upload.size == len(FILE_TEXT)
    assert [a["name"] for a in shared.attachments] == ["notes.txt"]

    # As the people see it: history, search (the index is current), the file.
    api = client_for(alice)
    page = api.get(f"/api/v1/rooms/{general.pk}/messages", {"limit": 5, "after_seq": 0}).json()
    assert page["messages"][0]["body"].startswith("Thread root")
    assert page["messages"][0]["thread_summary"]["reply_count"] == 2
    thread = api.get(f"/api/v1/messages/{root.pk}/thread").json()
    assert [m["body"] for m in thread["replies"]] == ["First reply", "Second reply with `*code*`"]
    found = api.get("/api/v1/search", {"q": "plan"}).json()
    assert [r["message"]["id"] for r in found["results"]] == [root.pk]
    secret = Room.objects.get(name="secret-plans")
    assert client_for(User.objects.get(username="bob")).get(f"/api/v1/rooms/{secret.pk}").status_code == 404
    download = api.get(shared.attachments[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == FILE_TEXT  # type: ignore[attr-defined]

    # A second run makes nothing again.
    keys = ImportKey.objects.count()
    out, _err, _took = _run(export)
    assert "Imported 0 people, 0 rooms, 0 messages, 0 reactions, 0 files" in out, out
    assert "Already imported (left as they are): 5 people, 7 rooms, 10000 messages." in out
    assert Message.objects.count() == 10_000
    assert Upload.objects.count() == 1
    assert User.objects.filter(username__startswith="alice").count() == 1
    assert ImportKey.objects.count() == keys


def test_what_is_not_a_slack_export_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "not.zip"
    bad.write_bytes(b"hello")
    with pytest.raises(CommandError, match="not a zip"):
        call_command("import_slack", str(bad))
