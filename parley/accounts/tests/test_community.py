"""Guests that leave or go idle, WebSocket tickets, REST throttles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from parley.accounts import services
from parley.accounts.models import User
from parley.rooms import services as rooms
from parley.rooms.models import Membership
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user
from parley.testing.waits import wait_until
from parley.testing.ws import WsClient

db = database_sync_to_async


def _client() -> APIClient:
    """A client from an address of its own, so throttle counts start at zero."""
    return APIClient(REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7")


# --- guests ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_signing_out_frees_the_nickname_and_leaves_its_rooms() -> None:
    r = APIClient().post("/api/v1/auth/guest", {"nickname": "Wanderer"}, format="json")
    token = r.json()["token"]
    guest = User.objects.get(pk=r.json()["user"]["id"])
    owner = make_user()
    room = rooms.room_create(owner=owner, name="guestroom")
    rooms.room_join(room_id=room.pk, user=guest)
    own = rooms.room_create(owner=guest, name="guests-own")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/logout").status_code == 204
    guest.refresh_from_db()
    assert not guest.is_active
    assert not Membership.objects.filter(user=guest).exists()
    own.refresh_from_db()
    assert own.closed  # a room whose owner is gone is closed, not orphaned
    again = APIClient().post("/api/v1/auth/guest", {"nickname": "wanderer"}, format="json")
    assert again.status_code == 201


@pytest.mark.django_db
def test_idle_guests_are_removed_by_the_job(settings: Any) -> None:
    from parley.actions import erasure
    from parley.actions.tasks import guests_remove_idle

    settings.GUEST_IDLE_DAYS = 7
    idle, fresh = make_guest("Idle One"), make_guest("Fresh One")
    User.objects.filter(pk=idle.pk).update(
        last_login=timezone.now() - timedelta(days=8), date_joined=timezone.now() - timedelta(days=9)
    )
    User.objects.filter(pk=fresh.pk).update(last_login=timezone.now())
    assert guests_remove_idle.delay().get() == 1
    assert not User.objects.get(pk=idle.pk).is_active
    assert User.objects.get(pk=fresh.pk).is_active
    assert erasure.guests_remove_idle(idle_days=7) == 0
    make_guest("Idle One")  # the nickname is free again


# --- WebSocket tickets ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ticket_is_single_use_and_expires(settings: Any) -> None:
    user = make_user()
    r = client_for(user).post("/api/v1/auth/ws-ticket")
    assert r.status_code == 201 and r.json()["expires_in"] == 30
    ticket = r.json()["ticket"]
    found = services.ws_ticket_redeem(ticket=ticket)
    assert found is not None and found[0] == user and found[1].startswith("t:")
    assert services.ws_ticket_redeem(ticket=ticket) is None  # used
    settings.WS_TICKET_TTL = 1
    late = services.ws_ticket_issue(user=user, auth_id="t:1")
    key = f"{services.TICKET_PREFIX}{late}"
    assert cache.get(key) is not None
    wait_until(lambda: cache.get(key) is None, timeout=10, what="the ticket's 1 s lifetime to end")
    assert services.ws_ticket_redeem(ticket=late) is None  # expired
    assert services.ws_ticket_redeem(ticket="made-up") is None


@pytest.mark.django_db
def test_a_ticket_needs_a_signed_in_caller() -> None:
    assert APIClient().post("/api/v1/auth/ws-ticket").status_code == 401


@pytest.mark.django_db(transaction=True)
async def test_a_socket_opens_with_a_ticket_once() -> None:
    user = await db(make_user)()
    ticket = await db(services.ws_ticket_issue)(user=user, auth_id="s:none")
    client = WsClient()
    client.comm.scope["query_string"] = f"ticket={ticket}".encode()
    ok, _ = await client.connect()
    assert ok and client.hello is not None and client.hello["user"]["id"] == user.pk
    await client.close()
    reuse = WsClient()
    reuse.comm.scope["query_string"] = f"ticket={ticket}".encode()
    ok, _ = await reuse.connect(expect_hello=False)
    assert not ok
    await asyncio.sleep(0)  # one turn of the loop (no time passes) for the refused socket's tasks


# --- throttles ------------------------------------------------------------------------------


def _limit(settings: Any, scope: str, rate: str) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: rate}


def _assert_429(r: Any) -> None:
    assert r.status_code == 429, r.content
    assert error_of(r)["code"] == "rate_limited"
    assert int(r["Retry-After"]) > 0


@pytest.mark.django_db
def test_registration_is_throttled_per_address(settings: Any) -> None:
    _limit(settings, "register", "2/hour")
    client = _client()
    for i in range(2):
        r = client.post("/api/v1/auth/register", {"username": f"thr{i}", "password": PASSWORD}, format="json")
        assert r.status_code == 201
        client.cookies.clear()
    _assert_429(
        client.post("/api/v1/auth/register", {"username": "thr9", "password": PASSWORD}, format="json")
    )
    other = _client()  # another address is counted apart
    assert (
        other.post(
            "/api/v1/auth/register", {"username": "thr8", "password": PASSWORD}, format="json"
        ).status_code
        == 201
    )


@pytest.mark.django_db
def test_guest_creation_is_throttled(settings: Any) -> None:
    _limit(settings, "guest", "1/hour")
    client = _client()
    assert client.post("/api/v1/auth/guest", {"nickname": "G one"}, format="json").status_code == 201
    client.cookies.clear()
    _assert_429(client.post("/api/v1/auth/guest", {"nickname": "G two"}, format="json"))


@pytest.mark.django_db
def test_room_creation_is_throttled_per_user_across_addresses(settings: Any) -> None:
    _limit(settings, "room_create", "2/hour")
    user = make_user()
    cache.delete(f"throttle:room_create:u:{user.pk}")  # ids recur across tests; counts live in the cache
    key = services.token_issue(user=user)
    for i in range(3):
        client = _client()  # a new address each time: the per-user count still applies
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        r = client.post("/api/v1/rooms", {"name": f"thr-room-{i}"}, format="json")
        if i < 2:
            assert r.status_code == 201
        else:
            _assert_429(r)
    assert client.get("/api/v1/rooms").status_code == 200  # reading is not throttled


@pytest.mark.django_db
def test_search_is_throttled(settings: Any) -> None:
    _limit(settings, "search", "2/minute")
    user = make_user()
    cache.delete(f"throttle:search:u:{user.pk}")
    client = client_for(user)
    client.defaults["REMOTE_ADDR"] = _client().defaults["REMOTE_ADDR"]
    assert [client.get("/api/v1/search", {"q": "x"}).status_code for _ in range(2)] == [200, 200]
    _assert_429(client.get("/api/v1/search", {"q": "x"}))


@pytest.mark.django_db
def test_password_reset_requests_are_throttled(settings: Any) -> None:
    _limit(settings, "password_reset", "1/hour")
    client = _client()
    assert client.post("/api/v1/auth/password-reset", {"login": "x"}, format="json").status_code == 202
    _assert_429(client.post("/api/v1/auth/password-reset", {"login": "y"}, format="json"))


def test_an_upload_scope_is_ready(settings: Any) -> None:
    from parley.common.throttles import throttles

    assert settings.THROTTLE_RATES["upload"]
    assert [t.get_rate() for t in throttles("upload")] == [settings.THROTTLE_RATES["upload"]] * 2
