"""REST under ASGI keeps its database and Redis connections between requests
(parley/web/handler.py, parley/common/redis_pool.py)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

from parley.testing.faults import TcpProxy
from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes]


def test_rest_requests_on_a_live_server_reuse_their_database_connections() -> None:
    """Django alone opens a connection per request under ASGI (a thread per request); the
    view threads keep theirs. Every connection the server makes passes through a proxy
    that counts them."""
    services_or_skip(redis=False)
    with private_database("postgres") as db:
        migrate(base_env(db))
        target = urlparse(db)
        with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
            proxied = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
            server = ServerProcess(base_env(proxied, "", HTTP_VIEW_THREADS="3")).start()
            try:
                user = RemoteUser.register(server.url)
                room = user.create_room()
                before = proxy.connections
                for n in range(30):
                    assert user.http.get(f"rooms/{room['id']}").status_code == 200
                    r = user.http.post(
                        f"rooms/{room['id']}/messages", json={"body": f"m{n}", "client_id": f"c{n}"}
                    )
                    assert r.status_code == 201, r.text
                assert user.http.get(f"rooms/{room['id']}/messages").json()["messages"][-1]["body"] == "m29"
                assert proxy.connections - before <= 3, "at most one connection per view thread"
            finally:
                server.stop()


def test_throttled_requests_share_the_process_redis_pool() -> None:
    """Django's cache object is per async context, so each throttled request built a Redis
    pool and connection of its own; the shared pool class keeps one per process. Every
    connection the server makes to Redis passes through a counting proxy."""
    _db, redis_url = services_or_skip()
    target = urlparse(redis_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        proxied = target._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        with private_database("postgres") as private:
            env = base_env(private, proxied, THROTTLE_SEARCH="1000/minute")
            migrate(env)
            server = ServerProcess(env).start()
            try:
                user = RemoteUser.register(server.url)
                assert user.http.get("search", params={"q": "warm"}).status_code == 200
                before = proxy.connections
                for n in range(20):  # DRF's search throttle reads and writes the cache each time
                    assert user.http.get("search", params={"q": f"hello{n}"}).status_code == 200
                assert proxy.connections - before <= 2, proxy.connections - before
            finally:
                server.stop()


@pytest.mark.embedded_only
def test_a_body_that_spills_to_disk_is_stored_byte_for_byte_and_a_json_body_still_works() -> None:
    """Bodies past FILE_UPLOAD_MAX_MEMORY_SIZE (2 MiB) are written to disk by the view threads,
    a megabyte at a time (parley/web/handler.py): a 5.5 MiB upload crosses the in-memory
    part, several such writes and an uneven last one, and must come back unchanged."""
    with private_database("sqlite") as db:
        env = base_env(db, "", THROTTLE_UPLOAD="1000/hour")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            user = RemoteUser.register(server.url)
            room = user.create_room()
            data = os.urandom(5 * 1024 * 1024 + 512 * 1024 + 7)
            r = user.http.post(f"rooms/{room['id']}/uploads", files={"file": ("big.bin", data)})
            assert r.status_code == 201, r.text
            got = user.http.get(r.json()["url"].removeprefix("/api/v1/"))
            assert got.status_code == 200 and got.content == data
            sent = user.http.post(
                f"rooms/{room['id']}/messages", json={"body": "small body", "client_id": "small"}
            )
            assert sent.status_code == 201, sent.text
        finally:
            server.stop()
