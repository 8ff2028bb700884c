"""The one keepalive (docs/protocol.md, "Keepalive"): the server pings every socket, a
client that answers stays, a socket that sends nothing is closed with 4009. Driven by a
fake clock: no sleeps."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.realtime.tests.fakes import FakeClock
from parley.testing.api import make_user, token_for
from parley.testing.runtime import fresh_runtime
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def tokens(*names: str) -> list[str]:
    return [token_for(make_user(name)) for name in names]


async def test_a_socket_that_answers_the_pings_stays_and_a_silent_one_is_closed(settings: Any) -> None:
    settings.WS_PING_INTERVAL, settings.WS_PING_MISSES = 25.0, 2
    clock = FakeClock()
    fresh_runtime(clock=clock)
    answering_token, silent_token = await tokens("answers", "silent")
    answering, silent = WsClient(answering_token), WsClient(silent_token)
    await answering.connect()
    await silent.connect()
    for _ in range(3):
        await clock.advance(25.0)
        assert (await answering.recv_type("ping")) == {"type": "ping"}
        await answering.send({"type": "pong"})
        # An older client's own ping is still answered (and, like any frame, counts).
        await answering.send({"type": "ping"})
        await answering.recv_type("pong")
    # Pinged at 25 and 50 s without a word back: closed at the next round.
    assert await silent.expect_close() == 4009
    await answering.nothing(ignore=("presence", "ping"))
    await answering.send({"type": "ping"})
    assert (await answering.recv_type("pong")) == {"type": "pong"}
    await answering.close()
