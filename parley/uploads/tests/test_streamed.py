"""A large upload's bytes are written once (issue 34): the body is read from the connection
while it is parsed and the file part lands beside the stored files, then is renamed into
place. Measured on a real server process as the bytes it passed to write(2) (`wchar` of
/proc/<pid>/io; socket sends are not counted there), before and after one 10 MiB upload:
Django's own path wrote them twice (the spooled body, then the parsed file)."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path

import pytest

from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until

MIB = 1024 * 1024


def written(pid: int) -> int:
    """Bytes the process has passed to write(2) and friends so far."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/<pid>/io")


def upload_folder(server: ServerProcess) -> Path:
    return Path(server.env["PARLEY_DATA_DIR"]) / "uploads"


def parts_left(server: ServerProcess) -> list[Path]:
    return list((upload_folder(server) / ".incoming").glob("*"))


def request_head(server: ServerProcess, user: RemoteUser, room_id: int, boundary: str, length: int) -> bytes:
    """An upload's request line and headers, for a body the test writes itself."""
    return (
        f"POST /api/v1/rooms/{room_id}/uploads HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Token {user.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture
def server(live_server_embedded: ServerProcess) -> ServerProcess:
    if not Path(f"/proc/{os.getpid()}/io").exists():
        pytest.skip("needs Linux's /proc/<pid>/io")
    return live_server_embedded


@pytest.mark.processes
@pytest.mark.embedded_only
def test_a_10_mib_upload_is_written_to_disk_once(server: ServerProcess) -> None:
    assert server.proc is not None
    user = RemoteUser.register(server.url)
    room = user.create_room()
    data = os.urandom(10 * MIB)
    user.http.post(f"rooms/{room['id']}/uploads", files={"file": ("warm.bin", b"warm")}).raise_for_status()

    before = written(server.proc.pid)
    answer = user.http.post(f"rooms/{room['id']}/uploads", files={"file": ("big.bin", data)}, timeout=60)
    after = written(server.proc.pid)

    assert answer.status_code == 201, answer.text
    assert answer.json()["size"] == len(data)
    assert len(data) <= after - before < 1.2 * len(data), f"{(after - before) / MIB:.1f} MiB written"
    fetched = user.http.get(answer.json()["url"].removeprefix("/api/v1/"), timeout=60)
    assert hashlib.sha256(fetched.content).digest() == hashlib.sha256(data).digest()
    assert parts_left(server) == []


@pytest.mark.processes
@pytest.mark.embedded_only
def test_a_small_upload_still_works_and_a_large_one_is_refused_before_it_is_read(
    server: ServerProcess,
) -> None:
    user = RemoteUser.register(server.url)
    room = user.create_room()
    small = user.http.post(f"rooms/{room['id']}/uploads", files={"file": ("a.txt", b"hello")})
    assert small.status_code == 201 and small.json()["content_type"] == "text/plain"
    # Over UPLOAD_MAX_BYTES (25 MiB) by its Content-Length: 413 before the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_head(server, user, room["id"], "x", 26 * MIB) + b"--x\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert parts_left(server) == []


@pytest.mark.processes
@pytest.mark.embedded_only
def test_a_client_gone_mid_upload_leaves_no_file_and_the_server_serving(server: ServerProcess) -> None:
    user = RemoteUser.register(server.url)
    room = user.create_room()
    files_before = sorted(p for p in upload_folder(server).rglob("*") if p.is_file())
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    request = request_head(server, user, room["id"], boundary, len(head) + 10 * MIB)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request + head + os.urandom(4 * MIB))
        time.sleep(0.3)  # the view is reading the body
        assert len(parts_left(server)) == 1  # the part is written while it arrives

    wait_until(lambda: parts_left(server) == [], timeout=10, what="the cut part to be removed")
    files_after = sorted(p for p in upload_folder(server).rglob("*") if p.is_file())
    assert files_after == files_before
    assert user.http.get(f"rooms/{room['id']}").status_code == 200


@pytest.mark.django_db
def test_the_clean_up_job_removes_parts_a_killed_process_left(upload_dir: Path) -> None:
    from parley.uploads.tasks import uploads_remove_unattached

    folder = upload_dir / ".incoming"
    folder.mkdir(parents=True)
    old, fresh = folder / "part-old.upload", folder / "part-new.upload"
    old.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    uploads_remove_unattached.apply()
    assert sorted(p.name for p in folder.iterdir()) == ["part-new.upload"]
