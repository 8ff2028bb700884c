"""Issue 28's probes, run as an attacker would against a live DEBUG=false server started here
(PostgreSQL, jobs in process so mail and thumbnails happen): each one an attack that worked
before round two. Marker `probes`; runs in the services pass (skipped in the embedded one).

The server trusts 127.0.0.1 as a proxy, so each probe picks the client address it speaks from
with X-Forwarded-For, as requests behind nginx would arrive."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Origin

from parley.testing.api import PASSWORD
from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.probes, pytest.mark.processes]


class Probe:
    def __init__(self, server: ServerProcess, mail_dir: Path):
        self.server = server
        self.mail_dir = mail_dir

    def client(self, token: str | None = None, addr: str | None = None) -> httpx.Client:
        headers = {"X-Forwarded-For": addr or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.1"}
        if token:
            headers["Authorization"] = f"Token {token}"
        return httpx.Client(base_url=self.server.url + "/api/v1/", headers=headers, timeout=20)

    def register(self, name: str | None = None) -> dict[str, Any]:
        name = name or f"p{uuid.uuid4().hex[:10]}"
        r = self.client().post("auth/register", json={"username": name, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return {**r.json(), "username": name}

    def mails_to(self, address: str) -> int:
        found = 0
        for path in self.mail_dir.glob("*"):
            head = path.read_text(errors="replace").split("\n\n", 1)[0].lower()
            found += f"to: {address.lower()}" in head
        return found


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    services_or_skip(redis=False)
    mail_dir = Path(tempfile.mkdtemp(prefix="parley-probe-mail-"))
    with private_database("postgres") as db:
        env = base_env(
            db,
            EMAIL_URL=f"filemail://{mail_dir}",
            TRUSTED_PROXIES="127.0.0.1/32",
            THROTTLE_MAIL_RECIPIENT="3/hour",
            THROTTLE_EMAIL_CHANGE="5/hour",
            THROTTLE_WEBHOOK="3/minute",
            THROTTLE_WEBHOOK_FAIL="5/minute",
            THROTTLE_LOGIN_FAIL="10/hour",
            THROTTLE_PASSWORD_CHECK="3/hour",
            THROTTLE_INVITE_USE="5/minute",
            UVICORN_LOG_LEVEL="info",
            WS_SEND_RATE="1",
        )
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield Probe(server, mail_dir)
        finally:
            server.stop()
            shutil.rmtree(mail_dir, ignore_errors=True)


def test_probe_1_mail_bombing_through_patch_me_mail(probe: Probe) -> None:
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.org"
    me = probe.client(probe.register()["token"])
    spellings = [victim, victim.upper(), victim.title()]
    codes = [me.patch("me/mail", json={"email": spellings[i % 3]}).status_code for i in range(30)]
    assert set(codes) <= {200, 429}
    others = [probe.client(probe.register()["token"]) for _ in range(5)]
    codes += [c.patch("me/mail", json={"email": victim.upper()}).status_code for c in others]
    assert 429 in codes
    assert 1 <= probe.mails_to(victim) <= 3


def test_probe_2_wrong_secrets_cannot_silence_a_hook(probe: Probe) -> None:
    owner = probe.client(probe.register()["token"])
    room = owner.post("rooms", json={"name": f"hook-{uuid.uuid4().hex[:6]}"}).json()
    url = owner.post(f"rooms/{room['id']}/webhooks", json={}).json()["url"]
    wrong = url.rsplit("/", 1)[0] + "/" + "x" * 43
    attacker = httpx.Client(headers={"X-Forwarded-For": "10.99.0.1"}, timeout=20)
    codes = [attacker.post(wrong, json={"body": "spam"}).status_code for _ in range(30)]
    assert codes.count(404) <= 5 and 429 in codes
    integration = httpx.Client(headers={"X-Forwarded-For": "10.99.0.2"}, timeout=20)
    assert integration.post(url, json={"body": "build passed"}).status_code == 201


async def test_probe_6_resume_naming_foreign_rooms_gets_one_error(probe: Probe) -> None:
    user = probe.register()
    async with websockets.connect(
        f"{probe.server.ws_url}?token={user['token']}", origin=Origin(probe.server.url), compression=None
    ) as ws:
        while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "hello":
            pass
        await ws.send(json.dumps({"type": "resume", "rooms": {str(10**9 + i): 0 for i in range(1000)}}))
        await ws.send(json.dumps({"type": "ping"}))
        errors = 0
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "pong":
            errors += frame["type"] == "error"
        assert errors == 1


@pytest.mark.parametrize("origin", ["http://localhost:9999", "https://127.0.0.1", "http://[::1]:1234"])
async def test_probe_8_websocket_origin_checks_scheme_host_and_port(probe: Probe, origin: str) -> None:
    user = probe.register()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{probe.server.ws_url}?token={user['token']}", origin=Origin(origin))
    assert refused.value.response.status_code == 403


def test_probe_7_password_spraying_and_current_password_guessing(probe: Probe) -> None:
    names = [probe.register()["username"] for _ in range(6)]
    spray = probe.client(addr="10.77.0.1")
    codes = [
        spray.post("auth/login", json={"username": n, "password": "wrong"}).status_code
        for n in names
        for _ in range(4)
    ]
    assert codes.count(400) <= 10 and 429 in codes
    stolen = probe.register()
    thief = probe.client(stolen["token"], addr="10.77.0.2")
    guesses = [
        thief.post("me/password", json={"old_password": "guess", "new_password": "x" * 20}).status_code
        for _ in range(6)
    ]
    assert 429 in guesses


def test_probe_3_a_35_byte_gif_bomb_does_not_grow_the_server(probe: Probe) -> None:
    from parley.uploads.tests.test_image_memory import gif_claiming, png_claiming

    user = probe.client(probe.register()["token"])
    room = user.post("rooms", json={"name": f"pics-{uuid.uuid4().hex[:6]}"}).json()
    status = Path(f"/proc/{probe.server.proc.pid}/status")  # type: ignore[union-attr]

    def peak() -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    before = peak()
    for data, name in [(gif_claiming(7000, 7000), "b.gif"), (png_claiming(7000, 7000), "b.png")]:
        r = user.post(f"rooms/{room['id']}/uploads", files={"file": (name, data)})
        assert r.status_code == 201, r.text
    # Thumbnails are made one at a time: once a small picture's exists, the bombs' jobs are done.
    small = user.post(f"rooms/{room['id']}/uploads", files={"file": ("s.png", png_claiming(40, 40))}).json()
    thumbnail = f"uploads/{small['id']}/thumbnail/t"
    wait_until(
        lambda: user.get(thumbnail).status_code == 200, timeout=30, what="the small picture's thumbnail"
    )
    assert peak() - before < 40 * 1024 * 1024


def test_probe_4_outgoing_webhooks_refuse_ipv6_forms_of_private_ipv4(probe: Probe) -> None:
    owner = probe.client(probe.register()["token"])
    room = owner.post("rooms", json={"name": f"out-{uuid.uuid4().hex[:6]}"}).json()
    for url in ("http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::1]/x", "http://[::ffff:127.0.0.1]/x"):
        r = owner.post(f"rooms/{room['id']}/outgoing-webhooks", json={"url": url, "triggers": ["/x"]})
        assert r.status_code == 400, url


def test_probe_5_export_hides_a_private_rooms_later_name(probe: Probe) -> None:
    owner_user, member = probe.register(), probe.register()
    owner = probe.client(owner_user["token"])
    room = owner.post("rooms", json={"name": f"plans-{uuid.uuid4().hex[:6]}", "visibility": "private"}).json()
    assert owner.post(f"rooms/{room['id']}/members", json={"username": member["username"]}).status_code == 201
    them = probe.client(member["token"])
    sent = them.post(f"rooms/{room['id']}/messages", json={"body": "idea", "client_id": "e1"})
    assert sent.status_code == 201
    assert owner.delete(f"rooms/{room['id']}/members/{member['user']['id']}").status_code in (200, 204)
    secret = f"merger-{uuid.uuid4().hex[:6]}"
    assert owner.patch(f"rooms/{room['id']}", json={"name": secret}).status_code == 200
    export = them.get("me/export")
    assert export.status_code == 200 and secret not in export.text


async def test_probe_9_tokens_stay_out_of_the_log_and_expire_on_renewal(probe: Probe) -> None:
    user = probe.register()
    async with websockets.connect(
        f"{probe.server.ws_url}?token={user['token']}", origin=Origin(probe.server.url)
    ) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] in ("hello", "presence")
    httpx.get(f"{probe.server.url}/api/v1/me?token={user['token']}")
    renewed = probe.client(user["token"]).post("auth/token/renew")
    assert renewed.status_code == 200 and renewed.json()["token_expires_at"]
    assert probe.client(user["token"]).get("me").status_code == 401
    log = probe.server.output()
    assert "/ws/?token=[redacted]" in log and user["token"] not in log


def test_probe_10_the_smaller_ones(probe: Probe) -> None:
    owner_user, member_user = probe.register(), probe.register()
    owner, member = probe.client(owner_user["token"]), probe.client(member_user["token"])
    room = owner.post("rooms", json={"name": f"small-{uuid.uuid4().hex[:6]}"}).json()
    rid = room["id"]
    member.post(f"rooms/{rid}/join").raise_for_status()
    # The send limit's 429 says when to come back.
    answers = [
        member.post(f"rooms/{rid}/messages", json={"body": f"m{i}", "client_id": f"m{i}"}) for i in range(45)
    ]
    limited = [r for r in answers if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    # Guests list nobody.
    guest = httpx.post(f"{probe.server.url}/api/v1/auth/guest", json={"nickname": f"g{uuid.uuid4().hex[:6]}"})
    assert probe.client(guest.json()["token"]).get("users", params={"q": "p"}).status_code == 403
    # A muted member cannot upload.
    assert (
        owner.post(f"rooms/{rid}/mutes/{member_user['user']['id']}", json={"duration": 600}).status_code
        == 200
    )
    refused = member.post(f"rooms/{rid}/uploads", files={"file": ("a.txt", b"hello")})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "muted"
    # At most 20 different reactions.
    message = answers[0].json()
    emoji = list("😀😃😄😁😆😅😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙😋😛")
    codes = [owner.post(f"messages/{message['id']}/reactions/{e}").status_code for e in emoji]
    assert codes[:20] == [200] * 20 and codes[20] == 409
    # Revoking someone else's invite link tells nothing.
    link = owner.post(f"rooms/{rid}/invites", json={}).json()
    stranger = probe.client(probe.register()["token"], addr="10.55.0.1")
    real, fake = (
        stranger.delete(f"invites/{link['token']}"),
        stranger.delete(f"invites/{'q' * len(link['token'])}"),
    )
    assert (real.status_code, real.json()) == (fake.status_code, fake.json()) == (404, fake.json())
