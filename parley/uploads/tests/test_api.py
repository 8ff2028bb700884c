"""Uploads through the REST API: store, sniff, serve to members only, attach, delete, clean up."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from parley.common.errors import Invalid
from parley.messaging.models import Message, RoomEvent
from parley.testing.api import client_for, error_of, make_user
from parley.uploads import services
from parley.uploads.models import Upload
from parley.uploads.tests.conftest import png, stored_files, upload

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def send(client: Any, rid: int, body: str, attachments: list[int], cid: str | None = None) -> Any:
    payload: dict[str, Any] = {"body": body, "attachments": attachments}
    if cid:
        payload["client_id"] = cid
    return client.post(f"/api/v1/rooms/{rid}/messages", payload, format="json")


def test_an_image_upload_is_stored_sized_and_thumbnailed(
    room: dict[str, Any], upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(room["m"], room["rid"], png(40, 20), "Holiday photo.png")
    assert r.status_code == 201, r.content
    out = r.json()
    assert set(out) == {"id", "url", "name", "size", "content_type", "width", "height", "thumbnail_url"}
    assert (out["name"], out["content_type"], out["width"], out["height"]) == (
        "Holiday photo.png",
        "image/png",
        40,
        20,
    )
    assert out["size"] == len(png(40, 20))
    assert out["url"] == f"/api/v1/uploads/{out['id']}/Holiday%20photo.png"
    assert out["thumbnail_url"] is None  # the answer comes before the job
    made = Upload.objects.get(pk=out["id"])
    assert made.thumbnail_name  # the job ran once the row was committed
    assert len(stored_files(upload_dir)) == 2

    got = room["m"].get(out["url"])
    assert got.status_code == 200
    assert body_of(got) == png(40, 20)
    assert got["Content-Type"] == "image/png"
    assert got["Content-Disposition"].startswith("inline")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "private" in got["Cache-Control"]
    thumb = room["m"].get(f"/api/v1/uploads/{out['id']}/thumbnail/x")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(body_of(thumb))) as image:
        assert image.format == "WEBP" and image.size == (40, 20)  # never enlarged


def test_the_type_comes_from_the_content_not_the_name(room: dict[str, Any]) -> None:
    as_text = upload(room["m"], room["rid"], png(), "notes.txt").json()
    assert (as_text["content_type"], as_text["width"]) == ("image/png", 40)

    page = upload(room["m"], room["rid"], HTML, "cat.png").json()
    assert (page["content_type"], page["width"], page["height"]) == ("text/html", None, None)
    served = room["m"].get(page["url"])
    assert served["Content-Type"] == "text/html"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]

    svg = upload(room["m"], room["rid"], b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "a.png")
    assert svg.json()["content_type"] == "image/svg+xml"
    assert room["m"].get(svg.json()["url"])["Content-Disposition"].startswith("attachment")

    text = upload(room["m"], room["rid"], "plain words, ünïcode".encode(), "readme").json()
    assert text["content_type"] == "text/plain"
    assert room["m"].get(text["url"])["Content-Type"] == "text/plain; charset=utf-8"
    blob = upload(room["m"], room["rid"], bytes(range(256)) * 4, "data.bin").json()
    assert blob["content_type"] == "application/octet-stream"


def test_a_file_over_the_limit_is_refused_with_413_and_leaves_nothing(
    room: dict[str, Any], settings: Any, upload_dir: Path
) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    r = upload(room["m"], room["rid"], b"x" * 1001, "big.bin")
    assert r.status_code == 413
    err = error_of(r)
    assert err["code"] == "file_too_large" and "1000 bytes" in err["message"]
    assert "file" in err["fields"]
    assert Upload.objects.count() == 0 and stored_files(upload_dir) == []
    assert upload(room["m"], room["rid"], b"x" * 1000, "ok.bin").status_code == 201


def test_a_request_without_a_file_gets_a_clear_400(room: dict[str, Any]) -> None:
    r = room["m"].post(f"/api/v1/rooms/{room['rid']}/uploads", {"other": "x"}, format="multipart")
    assert r.status_code == 400 and "file" in error_of(r)["fields"]
    r = room["m"].post(f"/api/v1/rooms/{room['rid']}/uploads", {"file": 1}, format="json")
    assert r.status_code == 415


def test_file_names_get_the_checks_nicknames_get(room: dict[str, Any]) -> None:
    assert upload(room["m"], room["rid"], b"hi", "../../etc/passwd").json()["name"] == "passwd"
    assert upload(room["m"], room["rid"], b"hi", "C:\\Users\\me\\a  b.txt").json()["name"] == "a b.txt"
    # A right-to-left override would make "gpj.exe" read as "exe.jpg": it never survives.
    spoof = upload(room["m"], room["rid"], b"hi", "photo\u202egpj.exe")
    assert spoof.status_code == 201 and spoof.json()["name"] == "photogpj.exe"
    with pytest.raises(Invalid) as refused:  # what the parser does not strip, the check refuses
        services.clean_file_name("photo\u202egpj.exe")
    assert "file" in refused.value.fields
    long = upload(room["m"], room["rid"], b"hi", "n" * 201 + ".txt")
    assert long.status_code == 400 and "file" in error_of(long)["fields"]
    assert Upload.objects.count() == 3


def test_only_members_may_upload(room: dict[str, Any]) -> None:
    r = upload(room["x"], room["rid"], png())
    assert r.status_code == 403 and error_of(r)["code"] == "not_member"
    private = room["o"].post("/api/v1/rooms", {"name": "secret", "visibility": "private"}, format="json")
    r = upload(room["m"], private.json()["id"], png())
    assert r.status_code == 404
    assert upload(client_for(), room["rid"], png()).status_code == 401
    assert Upload.objects.count() == 0


def test_only_members_may_fetch_and_others_cannot_tell_it_exists(room: dict[str, Any]) -> None:
    out = upload(room["m"], room["rid"], png()).json()
    # Not attached yet: only the uploader sees it, even inside the room.
    assert room["o"].get(out["url"]).status_code == 404
    assert send(room["m"], room["rid"], "", [out["id"]]).status_code == 201
    assert room["o"].get(out["url"]).status_code == 200
    outsider = room["x"].get(out["url"])
    missing = room["x"].get("/api/v1/uploads/999999/nothing.png")
    assert outsider.status_code == missing.status_code == 404
    assert error_of(outsider) == error_of(missing)
    assert client_for().get(out["url"]).status_code == 401
    room["m"].post(f"/api/v1/rooms/{room['rid']}/leave")
    assert room["m"].get(out["url"]).status_code == 404  # a member who left


def test_a_message_carries_its_attachments_in_the_answer_history_and_frame(room: dict[str, Any]) -> None:
    first = upload(room["m"], room["rid"], png()).json()
    second = upload(room["m"], room["rid"], b"just text", "notes.txt").json()
    r = send(room["m"], room["rid"], "", [second["id"], first["id"]], "with-files")
    assert r.status_code == 201, r.content
    msg = r.json()
    assert msg["body"] == ""
    assert [a["id"] for a in msg["attachments"]] == [second["id"], first["id"]]  # the order given
    assert msg["attachments"][1] == first
    page = room["o"].get(f"/api/v1/rooms/{room['rid']}/messages").json()
    assert page["messages"][-1]["attachments"] == msg["attachments"]
    assert Upload.objects.filter(message_id=msg["id"]).count() == 2
    # A retry returns the stored message without attaching anything twice.
    again = send(room["m"], room["rid"], "", [second["id"], first["id"]], "with-files")
    assert again.status_code == 200 and again.json()["attachments"] == msg["attachments"]


def test_attachments_must_be_the_senders_own_uploads_in_the_room_not_yet_attached(
    room: dict[str, Any],
) -> None:
    mine = upload(room["m"], room["rid"], png()).json()["id"]
    theirs = upload(room["o"], room["rid"], png()).json()["id"]
    other_room = room["m"].post("/api/v1/rooms", {"name": f"other-{mine}"}, format="json").json()["id"]
    elsewhere = upload(room["m"], other_room, png()).json()["id"]
    for ids in ([theirs], [elsewhere], [999999], [mine, theirs]):
        r = send(room["m"], room["rid"], "files", ids)
        assert r.status_code == 400, (ids, r.content)
        assert "attachments" in error_of(r)["fields"]
    assert send(room["m"], room["rid"], "files", [mine]).status_code == 201
    taken = send(room["m"], room["rid"], "again", [mine])
    assert taken.status_code == 400 and "attachments" in error_of(taken)["fields"]
    too_many = send(room["m"], room["rid"], "many", list(range(1, 12)))
    assert too_many.status_code == 400 and "attachments" in error_of(too_many)["fields"]
    empty = send(room["m"], room["rid"], "  ", [])
    assert empty.status_code == 400 and "body" in error_of(empty)["fields"]
    assert Message.objects.filter(room_id=room["rid"]).count() == 1


def test_attachments_cost_two_statements_and_history_none(room: dict[str, Any]) -> None:
    rid = room["rid"]
    send(room["m"], rid, "warm up", [], "w0")
    ids = [upload(room["m"], rid, png()).json()["id"] for _ in range(3)]
    with CaptureQueriesContext(connection) as plain:
        send(room["m"], rid, "plain", [], "w1")
    with CaptureQueriesContext(connection) as one:
        send(room["m"], rid, "one", ids[:1], "w2")
    with CaptureQueriesContext(connection) as two:
        send(room["m"], rid, "two", ids[1:], "w3")

    def count(ctx: CaptureQueriesContext) -> int:
        return len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    assert count(one) == count(two) == count(plain) + 2
    with CaptureQueriesContext(connection) as history:
        page = room["o"].get(f"/api/v1/rooms/{rid}/messages").json()
    assert sum(len(m["attachments"]) for m in page["messages"]) == 3
    assert len(history) <= 5  # token, room, membership, the page, its reactions: no upload rows


def test_deleting_the_message_deletes_its_files(
    room: dict[str, Any], upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        out = upload(room["m"], room["rid"], png()).json()
    msg = send(room["m"], room["rid"], "look", [out["id"]]).json()
    assert len(stored_files(upload_dir)) == 2  # the file and its thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        assert room["o"].delete(f"/api/v1/messages/{msg['id']}").status_code == 204
    assert stored_files(upload_dir) == []
    assert not Upload.objects.filter(pk=out["id"]).exists()
    assert room["m"].get(out["url"]).status_code == 404
    tomb = room["m"].get(f"/api/v1/rooms/{room['rid']}/messages").json()["messages"][-1]
    assert (tomb["deleted"], tomb["attachments"]) == (True, [])
    logged = RoomEvent.objects.get(message_id=msg["id"], kind="message").frame
    assert '"attachments":[]' in logged  # the replayed frame forgets them too


def test_the_clean_up_job_removes_only_old_unattached_uploads(
    room: dict[str, Any], upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from parley.uploads.tasks import uploads_remove_unattached

    old, fresh, used = (upload(room["m"], room["rid"], b"data", f"{n}.txt").json() for n in "abc")
    send(room["m"], room["rid"], "kept", [used["id"]])
    Upload.objects.filter(pk__in=[old["id"], used["id"]]).update(
        created_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert uploads_remove_unattached.delay().get() == 1
    assert set(Upload.objects.values_list("pk", flat=True)) == {fresh["id"], used["id"]}
    assert len(stored_files(upload_dir)) == 2


def test_the_clean_up_job_is_on_the_beat_schedule(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["uploads-remove-unattached"]
    assert entry["task"] == "parley.uploads.tasks.uploads_remove_unattached"
    assert services.uploads_remove_unattached(older_than=timezone.now()) == 0


def test_uploads_are_throttled_per_user(room: dict[str, Any], settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "upload": "2/minute"}
    cache.delete(f"throttle:upload:u:{room['member'].pk}")
    room["m"].defaults["REMOTE_ADDR"] = f"10.9.{room['member'].pk % 250}.3"
    assert [upload(room["m"], room["rid"], b"a").status_code for _ in range(2)] == [201, 201]
    r = upload(room["m"], room["rid"], b"a")
    assert r.status_code == 429 and error_of(r)["code"] == "rate_limited"
    assert int(r["Retry-After"]) > 0
    assert room["m"].get(f"/api/v1/uploads/{Upload.objects.first().pk}/a").status_code == 200  # type: ignore[union-attr]


def test_x_accel_redirect_leaves_the_body_to_nginx(room: dict[str, Any], settings: Any) -> None:
    out = upload(room["m"], room["rid"], HTML, "page.html").json()
    settings.UPLOAD_ACCEL_REDIRECT = "/protected-uploads/"
    r = room["m"].get(out["url"])
    stored = Upload.objects.get(pk=out["id"]).storage_name
    assert r.status_code == 200 and r.content == b""
    assert r["X-Accel-Redirect"] == f"/protected-uploads/{stored}"
    assert r["Content-Type"] == "text/html"
    assert r["Content-Disposition"] == 'attachment; filename="page.html"'


def test_non_ascii_names_are_given_as_rfc_5987(room: dict[str, Any]) -> None:
    out = upload(room["m"], room["rid"], b"hello", "résumé 履歴.txt").json()
    assert out["name"] == "résumé 履歴.txt"
    r = room["m"].get(out["url"])
    assert r["Content-Disposition"].startswith("attachment; filename*=utf-8''r%C3%A9sum%C3%A9")


def test_staff_see_uploads_in_the_admin(room: dict[str, Any]) -> None:
    from django.test import Client

    out = upload(room["m"], room["rid"], b"listed", "listed-file.txt").json()
    staff = make_user()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:uploads_upload_changelist"))
    assert page.status_code == 200 and b"listed-file.txt" in page.content
    assert client.get(reverse("admin:uploads_upload_change", args=[out["id"]])).status_code == 200


def test_a_purged_message_leaves_its_uploads_to_the_clean_up_job(
    room: dict[str, Any], upload_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from parley.messaging import retention

    out = upload(room["m"], room["rid"], b"old news", "old.txt").json()
    send(room["m"], room["rid"], "", [out["id"]])
    assert retention.messages_purge(cutoff=timezone.now() + timedelta(seconds=1)).messages == 1
    assert Upload.objects.get(pk=out["id"]).message_id is None
    assert room["o"].get(out["url"]).status_code == 404  # unattached: only its uploader
    Upload.objects.filter(pk=out["id"]).update(created_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.uploads_remove_unattached() == 1
    assert stored_files(upload_dir) == []


def test_a_muted_member_cannot_upload_until_unmuted(room: dict[str, Any], upload_dir: Path) -> None:
    member = room["member"]
    muted = room["o"].post(f"/api/v1/rooms/{room['rid']}/mutes/{member.pk}", {"duration": 600}, format="json")
    assert muted.status_code == 200
    refused = upload(room["m"], room["rid"], png())
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "muted" and error_of(refused)["fields"]["muted_until"]
    assert Upload.objects.filter(uploader=member).count() == 0 and stored_files(upload_dir) == []
    assert room["o"].delete(f"/api/v1/rooms/{room['rid']}/mutes/{member.pk}").status_code == 204
    assert upload(room["m"], room["rid"], png()).status_code == 201
