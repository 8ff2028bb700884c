"""A WebSocket ticket minted by one process is redeemed by another, once (Redis-backed cache)."""

from __future__ import annotations

import pytest
import websockets
from websockets.typing import Origin

from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes]


async def test_a_ticket_from_one_process_opens_a_socket_on_the_other_once(
    live_cluster: list[ServerProcess],
) -> None:
    one, two = live_cluster
    alice = RemoteUser.register(one.url)
    r = alice.http.post("auth/ws-ticket")
    assert r.status_code == 201
    ticket = r.json()["ticket"]
    url = two.ws_url + f"?ticket={ticket}"
    async with websockets.connect(url, origin=Origin(two.url), compression=None, open_timeout=10) as ws:
        import json

        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["user"]["id"] == alice.user["id"]
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(
            one.ws_url + f"?ticket={ticket}", origin=Origin(one.url), open_timeout=10
        ):
            pass
