"""Uploads straight to an S3-compatible store (issue 34): presign, PUT the bytes to the
store with a plain HTTP client, complete; the file is then attachable and served to members
only. The store is moto's S3 server on loopback (the stand-in at the edge of the world);
these tests are skipped where boto3 and moto (the dev extra) are not installed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from parley.testing.api import error_of
from parley.testing.live import free_port
from parley.uploads import tasks
from parley.uploads.models import PresignedUpload, Upload
from parley.uploads.tests.conftest import png

pytestmark = pytest.mark.django_db

BUCKET = "parley-uploads-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3(settings: Any, s3_endpoint: str) -> Any:
    """The uploads storage on a fresh bucket of the S3 stand-in; the boto3 client to look."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    for found in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=found["Key"])
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "location": "uploads",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return client


def objects(client: Any) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def presign(
    client: Any, rid: int, data: bytes, name: str = "photo.png", content_type: str = "image/png"
) -> Any:
    payload = {"name": name, "size": len(data), "content_type": content_type}
    return client.post(f"/api/v1/rooms/{rid}/uploads/presign", payload, format="json")


def put(ticket: dict[str, Any], data: bytes, **headers: str) -> httpx.Response:
    """What a browser does with the ticket: a plain PUT to the store, no Parley in between."""
    assert ticket["method"] == "PUT"
    return httpx.put(ticket["url"], content=data, headers={**ticket["headers"], **headers}, timeout=10)


def complete(client: Any, key: str) -> Any:
    return client.post(f"/api/v1/uploads/presigned/{key}/complete")


def test_a_file_sent_to_the_store_becomes_an_attachment_served_to_members_only(
    room: dict[str, Any], s3: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = png(60, 30)
    r = presign(room["m"], room["rid"], data, "Beach.png")
    assert r.status_code == 201, r.content
    ticket = r.json()
    assert set(ticket) == {"key", "url", "method", "headers", "expires_at"}
    assert ticket["headers"] == {"Content-Type": "image/png"}
    assert put(ticket, data).status_code == 200
    assert Upload.objects.count() == 0  # nothing attachable before completion

    with django_capture_on_commit_callbacks(execute=True):
        done = complete(room["m"], ticket["key"])
    assert done.status_code == 201, done.content
    out = done.json()
    assert (out["name"], out["size"], out["content_type"], out["width"], out["height"]) == (
        "Beach.png",
        len(data),
        "image/png",
        60,
        30,
    )
    assert out["thumbnail_url"] is None  # the job comes after the answer
    assert Upload.objects.get(pk=out["id"]).thumbnail_name  # and it ran, from the store
    assert not PresignedUpload.objects.exists()
    assert complete(room["m"], ticket["key"]).status_code == 404  # once only

    sent = room["m"].post(
        f"/api/v1/rooms/{room['rid']}/messages", {"body": "look", "attachments": [out["id"]]}, format="json"
    )
    assert sent.status_code == 201, sent.content
    got = room["o"].get(out["url"])
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == data
    assert room["x"].get(out["url"]).status_code == 404
    assert len(objects(s3)) == 2  # the file and its thumbnail


def test_without_an_s3_store_presign_says_to_use_the_multipart_path(room: dict[str, Any]) -> None:
    r = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain")
    assert r.status_code == 404 and error_of(r)["code"] == "presigned_uploads_off"
    assert complete(room["m"], "0" * 32).status_code == 404


def test_too_large_and_bad_types_are_refused(
    room: dict[str, Any], s3: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    r = presign(room["m"], room["rid"], b"x" * 1001, "big.bin", "application/octet-stream")
    assert r.status_code == 413 and error_of(r)["code"] == "file_too_large"
    for bad in ("", "image", "text/html; charset=utf-8", "a/b/c", "x" * 200):
        r = presign(room["m"], room["rid"], b"hello", "a.txt", bad)
        assert r.status_code == 400, bad
    assert not PresignedUpload.objects.exists() and objects(s3) == []

    # The signature covers the type: the store refuses a PUT of another.
    ticket = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain").json()
    assert put(ticket, b"<html><script>1</script></html>", **{"Content-Type": "text/html"}).status_code == 403
    # A store that checks less: Parley looks at what arrived, on completion.
    pending = PresignedUpload.objects.get(key=ticket["key"])
    s3.put_object(
        Bucket=BUCKET, Key=f"uploads/{pending.storage_name}", Body=b"<html>", ContentType="text/html"
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = complete(room["m"], ticket["key"])
    assert r.status_code == 400 and error_of(r)["code"] == "upload_mismatch"
    ticket = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain").json()
    assert put(ticket, b"x" * 5000).status_code == 200  # more than announced, and than allowed
    with django_capture_on_commit_callbacks(execute=True):
        r = complete(room["m"], ticket["key"])
    assert r.status_code == 413
    assert Upload.objects.count() == 0 and not PresignedUpload.objects.exists()
    assert objects(s3) == []  # what arrived is removed


def test_an_incomplete_upload_is_never_attachable(room: dict[str, Any], s3: Any) -> None:
    ticket = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain").json()
    r = complete(room["m"], ticket["key"])
    assert r.status_code == 409 and error_of(r)["code"] == "upload_incomplete"
    assert complete(room["o"], ticket["key"]).status_code == 404  # only its uploader's
    assert Upload.objects.count() == 0
    put(ticket, b"hello")
    assert complete(room["m"], ticket["key"]).status_code == 201  # the key stayed usable


def test_an_empty_file_completes_like_a_multipart_one(room: dict[str, Any], s3: Any) -> None:
    ticket = presign(room["m"], room["rid"], b"", "empty.txt", "text/plain").json()
    put(ticket, b"")
    done = complete(room["m"], ticket["key"])
    assert done.status_code == 201, done.content
    assert (done.json()["size"], done.json()["content_type"]) == (0, "text/plain")


def test_an_expired_presign_is_refused_and_its_object_removed(
    room: dict[str, Any], s3: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain").json()
    put(ticket, b"hello")
    PresignedUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        r = complete(room["m"], ticket["key"])
    assert r.status_code == 410 and error_of(r)["code"] == "upload_expired"
    assert objects(s3) == [] and not PresignedUpload.objects.exists()
    assert Upload.objects.count() == 0


def test_presigned_uploads_never_completed_are_cleaned_up(room: dict[str, Any], s3: Any) -> None:
    ticket = presign(room["m"], room["rid"], b"hello", "a.txt", "text/plain").json()
    put(ticket, b"hello")
    assert tasks.uploads_remove_unattached.apply().result == 0  # not old yet
    PresignedUpload.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert tasks.uploads_remove_unattached.apply().result == 1
    assert objects(s3) == [] and not PresignedUpload.objects.exists()
