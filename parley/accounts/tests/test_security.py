"""Security properties of the public surface: CSRF on every unsafe endpoint, lockouts that
a forged X-Forwarded-For cannot escape, answers that do not reveal accounts, no
impersonation, sockets closed when a login ends, XSS payloads kept as plain JSON text."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from rest_framework.test import APIClient
from websockets.typing import Origin

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user, token_for
from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser
from parley.testing.runtime import fresh_runtime
from parley.testing.ws import ORIGIN, WsClient

LOGIN, REG, GUEST = "/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/guest"
XSS = [
    line
    for line in (Path(__file__).resolve().parents[2] / "web" / "tests" / "xss_payloads.txt")
    .read_text()
    .splitlines()
    if line.strip()
]
IMPERSONATION_FIELDS = ["sender", "user", "usr", "username", "user_id", "sender_id", "author"]


def unsafe_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every unsafe operation the OpenAPI schema lists that reads
    credentials (an incoming webhook's URL takes none: its secret is the credential)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in {"post", "put", "patch", "delete"} and "security" in op
    )


# --- CSRF -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_unsafe_endpoint_needs_csrf_with_a_session() -> None:
    owner = make_user("csrf-owner")
    other = make_user("csrf-other")
    room = rooms.room_create(owner=owner, name="csrf-room")
    rooms.room_join(room_id=room.pk, user=other)
    operations = unsafe_operations()
    assert len(operations) >= 12, operations  # the schema is the list; new endpoints join it
    for method, path in operations:
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        url = (
            path.replace("{room_id}", str(room.pk))
            .replace("{user_id}", str(other.pk))
            .replace("{message_id}", "1")
            .replace("{hook_id}", "1")
            .replace("{emoji}", "%F0%9F%91%8D")
            .replace("{report_id}", "1")
            .replace("{index}", "0")
            .replace("{scheduled_id}", "1")
            .replace("{passkey_id}", "1")
            .replace("{invitation_id}", "1")
            .replace("{subscription_id}", "1")
        )
        r = client.generic(method, url, json.dumps({"body": "x", "client_id": "c"}), "application/json")
        assert r.status_code == 403, (method, path, r.status_code)
        assert "CSRF" in error_of(r)["message"], (method, path)
    assert room.messages.count() == 0
    assert rooms.selectors.member_count(room_id=room.pk) == 2
    # With the token the same session gets past the check (whatever the endpoint then says).
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/api/v1/auth/csrf")
    r = client.post(
        f"/api/v1/rooms/{room.pk}/messages",
        {"body": "with token", "client_id": "t1"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert r.status_code == 201


@pytest.mark.django_db
def test_a_token_request_does_not_need_csrf_and_ignores_the_session() -> None:
    user, intruder = make_user("tok-user"), make_user("tok-intruder")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(intruder)  # a session cookie for someone else rides along
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    r = client.post("/api/v1/rooms", {"name": "by-token"}, format="json")
    assert r.status_code == 201
    assert r.json()["owner"]["id"] == user.pk


# --- lockout and X-Forwarded-For --------------------------------------------------------


def _fail(username: str, **meta: Any) -> int:
    return (
        APIClient()
        .post(LOGIN, {"username": username, "password": "wrong"}, format="json", **meta)
        .status_code
    )  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_lockout_behind_an_untrusted_peer_ignores_forwarded_for_entirely(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    make_user("xff-a")
    for i in range(5):
        _fail("xff-a", REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.{i}")
    for i in range(10, 13):  # any header at all: still the same peer, still locked out
        r = APIClient().post(
            LOGIN, {"username": "xff-a", "password": PASSWORD}, format="json",
            REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )  # fmt: skip
        assert r.status_code == 429


@pytest.mark.django_db
def test_lockout_behind_a_trusted_proxy_keys_on_the_hop_the_proxy_appended(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    make_user("xff-b")
    proxy: dict[str, Any] = {"REMOTE_ADDR": "10.0.0.5"}
    # The attacker writes whatever it likes in front; the proxy appends the real address.
    for i in range(5):
        _fail("xff-b", **proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.9")
    forged = APIClient().post(
        LOGIN, {"username": "xff-b", "password": PASSWORD}, format="json",
        **proxy, HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.9",
    )  # fmt: skip
    assert forged.status_code == 429
    # Another real client behind the same proxy is a different address, and is not locked out.
    other = APIClient().post(
        LOGIN, {"username": "xff-b", "password": PASSWORD}, format="json",
        **proxy, HTTP_X_FORWARDED_FOR="203.0.113.10",
    )  # fmt: skip
    assert other.status_code == 200


@pytest.mark.django_db
def test_one_address_cannot_try_a_few_passwords_on_every_username(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_fail": "20/hour"}
    names = [make_user(f"spray{i}").username for i in range(12)]
    codes = [_fail(name, REMOTE_ADDR="10.3.3.3") for name in names for _ in range(4)]
    assert codes.count(400) == 20 and set(codes) == {400, 429}
    fresh = make_user("spray-fresh")
    credentials = {"username": fresh.username, "password": PASSWORD}
    late = APIClient().post(LOGIN, credentials, format="json", REMOTE_ADDR="10.3.3.3")
    assert late.status_code == 429 and int(late["Retry-After"]) > 0
    ok = APIClient().post(LOGIN, credentials, format="json", REMOTE_ADDR="10.3.3.4")
    assert ok.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "field"),
    [("post", "/api/v1/me/password", "old_password"), ("delete", "/api/v1/me", "password")],
)
def test_current_password_checks_are_throttled_and_count_toward_the_lockout(
    settings: Any, method: str, path: str, field: str
) -> None:
    user = make_user()
    client = client_for(user)
    client.defaults["REMOTE_ADDR"] = "10.4.4.4"
    body = {field: "wrong guess", "new_password": "a new long passphrase 9", "messages": "keep"}
    codes = [getattr(client, method)(path, body, format="json").status_code for _ in range(5)]
    assert codes == [400] * 4 + [429]
    # The wrong guesses locked the account's sign-in from that address, as wrong sign-ins would.
    login = APIClient().post(
        LOGIN, {"username": user.username, "password": PASSWORD}, format="json", REMOTE_ADDR="10.4.4.4"
    )
    assert login.status_code == 429
    # And the check itself is limited per user, from any address.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_check": "3/hour"}
    cache.clear()
    roaming = client_for(user)
    answers = []
    for i in range(4):
        roaming.defaults["REMOTE_ADDR"] = f"10.5.5.{i}"
        answers.append(getattr(roaming, method)(path, body, format="json").status_code)
    assert answers == [400, 400, 400, 429]


# --- answers that do not tell whether an account exists ------------------------------------


@pytest.mark.django_db
def test_registration_answers_the_same_for_a_taken_name_and_a_guests_nickname() -> None:
    make_user("existing")
    make_guest("Wanderer")
    answers = set()
    for name in ["existing", "EXISTING", "Wanderer", "wanderer"]:
        r = APIClient().post(REG, {"username": name, "password": PASSWORD}, format="json")
        answers.add((r.status_code, r.content))
    assert len(answers) == 1, answers
    status, body = answers.pop()
    assert status == 400 and b"This name is not available." in body


@pytest.mark.django_db
def test_login_answers_the_same_for_unknown_wrong_password_deactivated_and_guest() -> None:
    make_user("known")
    gone = make_user("gone-user")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    guest = make_guest("Drifter")
    answers = {}
    for name, password in [
        ("nobody-here", PASSWORD),
        ("known", "wrong password 1"),
        ("gone-user", PASSWORD),
        (guest.username, ""),
        (guest.username, "anything at all"),
    ]:
        r = APIClient().post(LOGIN, {"username": name, "password": password or "x"}, format="json")
        answers[name + ":" + password] = (r.status_code, r.content)
    assert len(set(answers.values())) == 1, answers


# --- impersonation ----------------------------------------------------------------------

claims = st.dictionaries(
    st.sampled_from(IMPERSONATION_FIELDS),
    st.one_of(
        st.integers(),
        st.text(max_size=20),
        st.dictionaries(st.sampled_from(["id", "username"]), st.integers() | st.text(max_size=10)),
    ),
    min_size=1,
)


@pytest.mark.django_db
def test_rest_sends_never_take_a_sender_from_the_body(settings: Any) -> None:
    settings.WS_SEND_RATE, settings.WS_SEND_BURST = 1000.0, 1000
    fresh_runtime()
    author, victim = make_user("rest-author"), make_user("rest-victim")
    room = rooms.room_create(owner=author, name="imp-rest")
    rooms.room_join(room_id=room.pk, user=victim)
    client = client_for(author)
    n = iter(range(10_000))

    @examples(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(extra=claims)
    def send(extra: dict[str, Any]) -> None:
        extra = {k: (victim.pk if v == "victim" else v) for k, v in extra.items()}
        cid = f"imp-{next(n)}"
        r = client.post(
            f"/api/v1/rooms/{room.pk}/messages", {"body": "hi", "client_id": cid, **extra}, format="json"
        )
        assert r.status_code == 201, r.content
        assert r.json()["sender"]["id"] == author.pk
        assert Message.objects.get(client_id=cid).sender_id == author.pk

    send()
    assert not Message.objects.filter(sender=victim).exists()


@pytest.mark.django_db(transaction=True)
async def test_websocket_sends_never_take_a_sender_from_the_frame(settings: Any) -> None:
    settings.WS_SEND_RATE, settings.WS_SEND_BURST = 1000.0, 1000
    fresh_runtime()

    @database_sync_to_async
    def setup() -> tuple[User, User, int, str]:
        author, victim = make_user("ws-author"), make_user("ws-victim")
        room = rooms.room_create(owner=author, name="imp-ws")
        rooms.room_join(room_id=room.pk, user=victim)
        return author, victim, room.pk, token_for(author)

    author, victim, rid, token = await setup()
    frames: list[dict[str, Any]] = []

    @examples(max_examples=60, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(extra=claims)
    def collect(extra: dict[str, Any]) -> None:
        frames.append(extra)

    collect()
    for extra in frames:
        extra.setdefault("user_id", victim.pk)
    client = WsClient(token)
    await client.connect()
    for i, extra in enumerate(frames):
        await client.send({"type": "send", "room": rid, "body": "hi", "client_id": f"w{i}", **extra})
        ack = await client.recv_type("ack")
        assert ack["client_id"] == f"w{i}"
        frame = await client.recv_type("message")
        assert frame["message"]["sender"]["id"] == author.pk
    await client.close()
    senders = await database_sync_to_async(
        lambda: set(Message.objects.filter(room_id=rid).values_list("sender_id", flat=True))
    )()
    assert senders == {author.pk}


# --- ending a login closes its sockets -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_password_change_closes_every_socket_of_the_user() -> None:
    user = await database_sync_to_async(make_user)("pw-changer")
    bystander = await database_sync_to_async(make_user)("pw-bystander")
    tokens = [await database_sync_to_async(token_for)(user) for _ in range(2)]
    sockets = [WsClient(t) for t in tokens]
    for s in sockets:
        await s.connect()
    other = WsClient(await database_sync_to_async(token_for)(bystander))
    await other.connect()
    client = await database_sync_to_async(client_for)(user)
    r = await database_sync_to_async(client.post)(
        "/api/v1/me/password",
        {"old_password": PASSWORD, "new_password": "an entirely new phrase 99"},
        format="json",
    )
    assert r.status_code == 204
    for s in sockets:
        assert await s.expect_close() == 4001  # reconnect: only a login that still holds gets in
    again = WsClient(tokens[0])
    assert (await again.connect(expect_hello=False))[0] is False
    await other.send({"type": "ping"})
    assert (await other.recv_type("pong"))["type"] == "pong"
    await other.close()


@pytest.mark.django_db(transaction=True)
async def test_a_session_logout_closes_that_sessions_sockets_only() -> None:
    @database_sync_to_async
    def login() -> tuple[Client, str, str]:
        make_user("sess-leaver")
        browser = Client()
        r = browser.post(
            LOGIN, {"username": "sess-leaver", "password": PASSWORD}, content_type="application/json"
        )
        assert r.status_code == 200
        return (
            browser,
            browser.cookies["sessionid"].value,
            token_for(User.objects.get(username="sess-leaver")),
        )

    browser, session, other_token = await login()
    by_cookie = WsClient(None, headers=[ORIGIN, (b"cookie", f"sessionid={session}".encode())])
    await by_cookie.connect()
    by_other_login = WsClient(other_token)
    await by_other_login.connect()

    @database_sync_to_async
    def logout() -> int:
        browser.get("/api/v1/auth/csrf")
        return browser.post(  # type: ignore[no-any-return]
            "/api/v1/auth/logout", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value
        ).status_code

    assert await logout() == 204
    assert await by_cookie.expect_close() == 4003
    await by_other_login.send({"type": "ping"})
    assert (await by_other_login.recv_type("pong"))["type"] == "pong"
    await by_other_login.close()


# --- cross-site WebSocket hijacking, against a real server ---------------------------------


@pytest.mark.processes
@pytest.mark.embedded_only
async def test_a_live_server_refuses_foreign_null_and_missing_origins(
    live_server_embedded: ServerProcess,
) -> None:
    srv = live_server_embedded
    user = RemoteUser.register(srv.url)
    url = f"{srv.ws_url}?token={user.token}"
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1.evil.example",
        "https://localhost.attacker",
        None,
    ]:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, origin=Origin(origin) if origin else None, open_timeout=10)
        assert refused.value.response.status_code == 403, origin
    ws = await websockets.connect(url, origin=Origin(srv.url), open_timeout=10)
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
    await ws.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "host", "opens"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://localhost:8000", "localhost:8000", True),  # the same site under another allowed name
        ("http://localhost:9999", "127.0.0.1:8000", False),  # another port
        ("https://127.0.0.1", "127.0.0.1:8000", False),  # another scheme (and port)
        ("http://[::1]:1234", "127.0.0.1:8000", False),
        ("http://[::1]:1234", None, False),
        ("http://127.0.0.1:8001", "127.0.0.1:8001", True),  # addressed to that port itself
        ("http://evil.example:8000", "evil.example:8000", False),  # a host not in ALLOWED_HOSTS
        ("http://127.0.0.1:8000", "127.0.0.1:9999", True),  # SITE_URL's own origin
    ],
)
async def test_the_websocket_origin_must_match_scheme_host_and_port(
    origin: str, host: str | None, opens: bool
) -> None:
    user = await database_sync_to_async(make_user)()
    token = await database_sync_to_async(token_for)(user)
    headers = [(b"origin", origin.encode())]
    if host is not None:
        headers.append((b"host", host.encode()))
    client = WsClient(token, headers=headers)
    ok, _code = await client.connect(expect_hello=opens)
    assert ok is opens, (origin, host)
    await client.close()


# --- XSS payloads are data, never markup --------------------------------------------------


@pytest.mark.django_db
def test_xss_payloads_are_refused_as_usernames() -> None:
    for payload in XSS:
        r = APIClient().post(REG, {"username": payload, "password": PASSWORD}, format="json")
        assert r.status_code == 400, payload
        assert r["Content-Type"] == "application/json"
    assert not User.objects.filter(username__regex=r"[<>\"'`]").exists()


@pytest.mark.django_db
def test_xss_payloads_are_stored_verbatim_and_returned_as_json_text(settings: Any) -> None:
    settings.WS_SEND_RATE, settings.WS_SEND_BURST = 1000.0, 1000
    fresh_runtime()
    owner = make_user("xss-owner")
    client = client_for(owner)
    for i, payload in enumerate(XSS):
        short = payload[:24]
        guest = APIClient().post(GUEST, {"nickname": f"{short}"}, format="json")
        if guest.status_code == 201:
            assert guest.json()["user"]["display_name"] == " ".join(short.split())
        else:
            assert guest.status_code == 400
        room = client.post("/api/v1/rooms", {"name": f"{i} {payload[:60]}", "topic": payload}, format="json")
        assert room.status_code == 201, (payload, room.content)
        assert room.json()["name"] == " ".join(f"{i} {payload[:60]}".split())
        assert room.json()["topic"] == payload.strip()
        msg = client.post(
            f"/api/v1/rooms/{room.json()['id']}/messages",
            {"body": payload, "client_id": f"x{i}"},
            format="json",
        )
        assert msg.status_code == 201
        assert msg["Content-Type"] == "application/json"
        assert msg.json()["body"] == payload  # verbatim: no escaping, no stripping
        history = client.get(f"/api/v1/rooms/{room.json()['id']}/messages")
        assert history.json()["messages"][0]["body"] == payload
