"""`GET /metrics`: Prometheus text that moves with REST and WebSocket sends, and is not public."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from parley.realtime import runtime
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = pytest.mark.django_db(transaction=True)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Client | None = None, **headers: Any) -> Samples:
    """Every sample of /metrics as {(name, sorted labels): value}, parsed by prometheus_client."""
    r = (client or Client()).get("/metrics", **headers)
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.content.decode())
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_every_metric_is_declared() -> None:
    samples = scrape()
    names = {name for name, _labels in samples}
    for name in [
        "parley_open_sockets",
        "parley_messages_sent_total",
        "parley_delivery_seconds_count",
        "parley_delivery_seconds_bucket",
        "parley_redis_reconnects_total",
        "parley_hub_sweeps_total",
        "parley_ws_silent_closed_total",
    ]:
        assert name in names, name


def test_rest_sends_and_refusals_move_the_counters() -> None:
    owner, outsider = make_user(), make_user()
    api = client_for(owner)
    room = api.post("/api/v1/rooms", {"name": "metered", "visibility": "public"}, format="json").json()
    url = f"/api/v1/rooms/{room['id']}/messages"
    before = scrape()

    assert api.post(url, {"body": "one", "client_id": "m1"}, format="json").status_code == 201
    assert api.post(url, {"body": "one", "client_id": "m1"}, format="json").status_code == 200  # a retry
    assert api.post(url, {"body": "two", "client_id": "m2"}, format="json").status_code == 201
    assert api.post(url, {"body": "x" * 5000, "client_id": "m3"}, format="json").status_code == 413
    refused = client_for(outsider).post(url, {"body": "hi", "client_id": "o1"}, format="json")
    assert refused.status_code == 403

    after = scrape()
    sent = "parley_messages_sent_total"
    errors = "parley_send_errors_total"
    assert value(after, sent) - value(before, sent) == 2
    assert value(after, errors, code="too_large") - value(before, errors, code="too_large") == 1
    assert value(after, errors, code="not_member") - value(before, errors, code="not_member") == 1


async def test_websocket_sends_move_the_counters_and_time_the_delivery(settings: Any) -> None:
    settings.WS_SEND_RATE = 0.001
    settings.WS_SEND_BURST = 2  # the third send in a row is refused

    @database_sync_to_async
    def setup() -> tuple[int, str, str]:
        owner, member = make_user(), make_user()
        room = rooms.room_create(owner=owner, name="ws-metered", visibility="public")
        rooms.room_join(room_id=room.pk, user=member)
        return room.pk, token_for(owner), token_for(member)

    room_id, owner_token, member_token = await setup()
    get = sync_to_async(scrape)
    before = await get()
    sender, reader = WsClient(owner_token), WsClient(member_token)
    try:
        assert (await sender.connect())[0] and (await reader.connect())[0]
        during = await get()
        assert value(during, "parley_open_sockets") - value(before, "parley_open_sockets") == 2
        for i in range(3):
            await sender.send({"type": "send", "room": room_id, "body": f"hello {i}", "client_id": f"w{i}"})
        assert (await sender.recv_type("ack"))["client_id"] == "w0"
        assert (await sender.recv_type("ack"))["client_id"] == "w1"
        assert (await sender.recv_type("error"))["code"] == "rate_limited"
        await reader.recv_type("message")
        await reader.recv_type("message")
        after = await get()
    finally:
        await sender.close()
        await reader.close()
        rt = runtime.installed()
        if rt is not None and rt.loop is asyncio.get_running_loop():
            await rt.stop()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("parley_messages_sent_total") == 2
    assert delta("parley_send_errors_total", code="rate_limited") == 1
    # One observation per message (this process published both), not one per socket.
    assert delta("parley_delivery_seconds_count") == 2
    assert 0 < delta("parley_delivery_seconds_sum") < 5
    assert value(await get(), "parley_open_sockets") == value(before, "parley_open_sockets")


# --- who may read it -------------------------------------------------------------------


def status(**extra: Any) -> int:
    return Client().get("/metrics", **extra).status_code


def test_only_loopback_by_default() -> None:
    assert status() == 200  # the test client's address is 127.0.0.1
    assert status(REMOTE_ADDR="::1") == 200
    r = Client().get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert b"parley_" not in r.content


def test_a_local_proxy_does_not_make_every_client_loopback(settings: Any) -> None:
    """nginx on the same host connects from 127.0.0.1 and adds X-Forwarded-For."""
    settings.TRUSTED_PROXIES = []
    assert status(HTTP_X_FORWARDED_FOR="198.51.100.4") == 403
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    assert status(HTTP_X_FORWARDED_FOR="198.51.100.4") == 403  # the real client is not allowed
    settings.METRICS_ALLOWED = ["10.0.0.0/8"]
    assert status(HTTP_X_FORWARDED_FOR="10.1.2.3") == 200  # a scraper on the private network
    assert status() == 403  # loopback is no longer listed


def test_a_bearer_token_opens_it_from_anywhere(settings: Any) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert status(**outside, HTTP_AUTHORIZATION="Bearer anything") == 403  # no token configured
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert status(**outside, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token") == 200
    assert status(**outside, HTTP_AUTHORIZATION="Bearer wrong") == 403
    assert status(**outside, HTTP_AUTHORIZATION="Token s3cret-scrape-token") == 403
    assert status(**outside) == 403


# --- several workers ---------------------------------------------------------------------


@pytest.mark.processes
def test_workers_share_one_view_of_the_metrics() -> None:
    """WORKERS=2 behind one port: whichever worker answers the scrape, the counters are
    the sum over both (prometheus-client's multiprocess mode, set up by parley.serve)."""
    import httpx

    from parley.testing.faults import RedisServer, guest
    from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip

    services_or_skip(postgres=False, redis=False)
    redis = RedisServer().start()
    server: ServerProcess | None = None
    try:
        with private_database("sqlite") as db:
            env = base_env(db, redis.url, WORKERS="2", WS_SEND_RATE="100", WS_SEND_BURST="100")
            migrate(env)
            server = ServerProcess(env).start()
            user = guest(server.url)
            room = user.create_room()
            with httpx.Client(base_url=server.url, timeout=10) as http:  # one keep-alive worker
                auth = {"Authorization": f"Token {user.token}"}
                for i in range(20):  # new connections: the kernel spreads them over the workers
                    r = httpx.post(
                        f"{server.url}/api/v1/rooms/{room['id']}/messages",
                        json={"body": f"m{i}", "client_id": f"c{i}"},
                        headers=auth,
                        timeout=10,
                    )
                    assert r.status_code == 201, r.text
                seen = set()
                for _ in range(10):
                    r = httpx.get(f"{server.url}/metrics", timeout=10)
                    assert r.status_code == 200
                    samples = {
                        s.name: s.value
                        for family in text_string_to_metric_families(r.text)
                        for s in family.samples
                        if not s.labels
                    }
                    seen.add(samples["parley_messages_sent_total"])
                assert seen == {20.0}, seen
                assert http.get("/healthz").status_code == 200
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        redis.stop()


def test_the_job_queue_depth_counts_jobs_waiting_in_the_redis_broker(settings: Any) -> None:
    import redis
    from django.conf import settings as django_settings

    from parley.testing.live import services_or_skip

    _db, redis_url = services_or_skip(postgres=False)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis_url
    prefix = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{prefix}metrics-test:"}
    key = f"{prefix}metrics-test:celery"
    client = redis.Redis.from_url(redis_url)
    client.delete(key, key + "\x06\x163")
    try:
        assert value(scrape(), "parley_job_queue_depth", queue="celery") == 0
        client.rpush(key, "job-1", "job-2")
        client.rpush(key + "\x06\x163", "job-3")  # a higher priority step is a list of its own
        assert value(scrape(), "parley_job_queue_depth", queue="celery") == 3
    finally:
        client.delete(key, key + "\x06\x163")


def test_without_redis_there_is_no_job_queue_to_measure(settings: Any) -> None:
    settings.REDIS_URL, settings.CELERY_BROKER_URL = "", "memory://"
    assert not [name for name, _ in scrape() if name == "parley_job_queue_depth"]
