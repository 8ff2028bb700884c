"""REST views under ASGI keep their database connections (parley/web/handler.py)."""

from __future__ import annotations

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
