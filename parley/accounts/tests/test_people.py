"""People managed by staff (issue 31), through REST: the list, deactivating and reactivating
(every login and socket ends at once, messages stay), invitations (mailed, single use,
expiring), REGISTRATION=open|invite|closed, and the sign-in log (staff's and one's own).

The staff "Reset two-factor" action calls `DELETE people/{id}/2fa`, which the two-factor
work adds; nothing here depends on it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from rest_framework.test import APIClient

from parley.accounts.models import AuthToken, Invitation, SignIn, User
from parley.accounts.signins import KEEP, device_summary
from parley.messaging.models import Message
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def _staff(name: str = "boss", *, superuser: bool = False) -> User:
    user = make_user(name)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=superuser)
    user.refresh_from_db()
    return user


def _login(username: str, password: str = PASSWORD, **extra: Any) -> Any:
    client = APIClient()
    r = client.post(
        "/api/v1/auth/login", {"username": username, "password": password}, format="json", **extra
    )
    return client, r


def _invite(staff: User, email: str) -> str:
    """Invite `email` as `staff`; the token from the mailed link."""
    r = client_for(staff).post("/api/v1/people/invitations", {"email": email}, format="json")
    assert r.status_code == 201, r.content
    body = str(mail.outbox[-1].body)
    assert mail.outbox[-1].to == [email]
    found = re.search(r"/invitation\?token=(\S+)", body)
    assert found, body
    return found.group(1)


async def _close_of(client: WsClient, *, within: float) -> tuple[int | None, str | None]:
    """The close code and reason of a socket, read past any frames before it (`within` s)."""
    while True:
        out = await client.comm.receive_output(within)
        if out["type"] == "websocket.close":
            return out.get("code"), out.get("reason")


def _register(token: str = "", username: str = "newbie", **extra: Any) -> Any:
    body = {"username": username, "password": PASSWORD, **({"invitation": token} if token else {}), **extra}
    return APIClient().post("/api/v1/auth/register", body, format="json")


# --- access ----------------------------------------------------------------------------------
STAFF_CALLS = [
    ("get", "/api/v1/people", None),
    ("post", "/api/v1/people/{id}/deactivate", None),
    ("post", "/api/v1/people/{id}/reactivate", None),
    ("get", "/api/v1/people/{id}/sign-ins", None),
    ("get", "/api/v1/people/invitations", None),
    ("post", "/api/v1/people/invitations", {"email": "x@example.org"}),
    ("delete", "/api/v1/people/invitations/{inv}", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), STAFF_CALLS)
def test_people_endpoints_are_for_staff_only(method: str, path: str, body: Any) -> None:
    member, target = make_user("member"), make_user("target")
    inv = Invitation.objects.create(
        email="y@example.org", token_hash="h", invited_by=None, expires_at=timezone.now() + timedelta(days=1)
    )
    url = path.format(id=target.pk, inv=inv.pk)
    r = getattr(client_for(member), method)(url, body, format="json")
    assert (r.status_code, error_of(r)["code"]) == (403, "staff_only"), r.content
    r = getattr(client_for(make_guest()), method)(url, body, format="json")
    assert r.status_code == 403
    r = getattr(APIClient(), method)(url, body, format="json")
    assert r.status_code == 401
    target.refresh_from_db()
    assert target.is_active and mail.outbox == [] and Invitation.objects.get(pk=inv.pk).revoked_at is None


# --- the list ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_staff_list_and_search_people_with_their_last_sign_in() -> None:
    boss = _staff()
    zoe = make_user("zoe")
    User.objects.filter(pk=zoe.pk).update(display_name="Zoë Quinn", email="zq@example.org")
    make_guest("Visitor")
    for i in range(3):
        make_user(f"filler{i}")
    _client, r = _login("zoe", HTTP_USER_AGENT=FIREFOX)
    assert r.status_code == 200

    api = client_for(boss)
    r = api.get("/api/v1/people", {"limit": 2})
    assert r.status_code == 200, r.content
    page = r.json()
    assert page["count"] == 5 and page["has_more"] is True and len(page["results"]) == 2  # no guest
    assert [p["username"] for p in page["results"]] == ["filler2", "filler1"]  # newest first
    r = api.get("/api/v1/people", {"limit": 2, "offset": 4})
    assert [p["username"] for p in r.json()["results"]] == ["boss"] and r.json()["has_more"] is False

    for q in ("zoe", "Quinn", "zq@example"):
        found = api.get("/api/v1/people", {"q": q}).json()["results"]
        assert [p["username"] for p in found] == ["zoe"], q
    person = found[0]
    assert person["display_name"] == "Zoë Quinn" and person["email"] == "zq@example.org"
    assert person["is_active"] is True and person["is_staff"] is False
    assert person["last_sign_in_method"] == "password" and person["last_sign_in_at"]
    assert api.get("/api/v1/people", {"state": "deactivated"}).json()["count"] == 0
    r = api.get("/api/v1/people", {"state": "sideways"})
    assert (r.status_code, list(error_of(r)["fields"])) == (400, ["state"])


# --- deactivate / reactivate ------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_deactivating_closes_the_persons_sockets_at_once_and_keeps_their_messages() -> None:
    boss = await db(_staff)()
    troll = await db(make_user)("troll")

    def setup() -> tuple[APIClient, APIClient, int]:
        token_client = client_for(troll)
        r = token_client.post("/api/v1/rooms", {"name": "trollden", "visibility": "public"}, format="json")
        room = r.json()["id"]
        body = {"body": "still here", "client_id": "c1"}
        assert token_client.post(f"/api/v1/rooms/{room}/messages", body, format="json").status_code == 201
        session, r = _login("troll")
        assert r.status_code == 200
        return token_client, session, room

    token_client, session, room = await db(setup)()
    socket = WsClient(await db(token_for)(troll))
    assert (await socket.connect())[0]

    def deactivate() -> Any:
        return client_for(boss).post(f"/api/v1/people/{troll.pk}/deactivate")

    r = await db(deactivate)()
    assert r.status_code == 200 and r.json()["is_active"] is False, r.content
    assert await _close_of(socket, within=2) == (4003, "account_deactivated")  # at once

    def after() -> None:
        r = token_client.get("/api/v1/me")
        assert (r.status_code, error_of(r)["reason"]) == (401, "account_deactivated")
        assert session.get("/api/v1/me").status_code == 401
        assert not AuthToken.objects.filter(user=troll).exists()
        assert Message.objects.filter(sender=troll, room_id=room, body="still here").exists()
        _c, r = _login("troll")
        assert (r.status_code, error_of(r)["code"]) == (400, "invalid_credentials")

    await db(after)()
    # A new socket with an old token is refused.
    again = WsClient(await db(token_for)(troll))
    ok, _code = await again.connect(expect_hello=False)
    assert not ok or await again.expect_close() == 4003


@pytest.mark.django_db
def test_reactivating_lets_the_person_sign_in_again_but_revives_no_old_session() -> None:
    boss = _staff()
    mia = make_user("mia")
    old_session, r = _login("mia")
    assert r.status_code == 200
    api = client_for(boss)
    assert api.post(f"/api/v1/people/{mia.pk}/deactivate").status_code == 200
    assert api.post(f"/api/v1/people/{mia.pk}/deactivate").status_code == 200  # twice is fine
    assert api.get("/api/v1/people", {"state": "deactivated"}).json()["results"][0]["username"] == "mia"
    r = api.post(f"/api/v1/people/{mia.pk}/reactivate")
    assert r.status_code == 200 and r.json()["is_active"] is True
    assert old_session.get("/api/v1/me").status_code == 401  # the old cookie stays signed out
    _c, r = _login("mia")
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "mia"


@pytest.mark.django_db
def test_nobody_deactivates_themselves_and_only_a_superuser_deactivates_staff() -> None:
    boss, other_staff = _staff("boss"), _staff("deputy")
    root = _staff("root", superuser=True)
    r = client_for(boss).post(f"/api/v1/people/{boss.pk}/deactivate")
    assert (r.status_code, error_of(r)["code"]) == (403, "self")
    r = client_for(boss).post(f"/api/v1/people/{other_staff.pk}/deactivate")
    assert (r.status_code, error_of(r)["code"]) == (403, "target_is_staff")
    r = client_for(boss).post(f"/api/v1/people/{root.pk}/deactivate")
    assert (r.status_code, error_of(r)["code"]) == (403, "target_is_staff")
    assert User.objects.filter(is_active=True, is_staff=True).count() == 3
    r = client_for(root).post(f"/api/v1/people/{other_staff.pk}/deactivate")
    assert r.status_code == 200 and r.json()["is_active"] is False
    r = client_for(root).post(f"/api/v1/people/{root.pk}/deactivate")
    assert (r.status_code, error_of(r)["code"]) == (403, "self")
    guest = make_guest()
    for path in (f"/api/v1/people/{guest.pk}/deactivate", "/api/v1/people/999999/deactivate"):
        r = client_for(root).post(path)
        assert (r.status_code, error_of(r)["code"]) == (404, "person_not_found")


# --- invitations ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["open", "invite", "closed"])
def test_an_invitation_creates_one_account_whatever_registration_says(settings: Any, mode: str) -> None:
    settings.REGISTRATION = mode
    boss = _staff()
    token = _invite(boss, "ana@example.org")
    sent = mail.outbox[-1]
    assert isinstance(sent, EmailMultiAlternatives)
    assert "Create your account" in str(sent.alternatives[0][0])
    preview = APIClient().get(f"/api/v1/auth/invitations/{token}")
    assert preview.status_code == 200 and preview.json()["email"] == "ana@example.org"
    assert preview.json()["invited_by"] == "boss"

    r = _register(token, "ana", email="other@example.org")
    assert r.status_code == 201, r.content
    ana = User.objects.get(username="ana")
    assert (ana.email, ana.email_verified) == ("ana@example.org", True)  # the invitation's address
    assert len(mail.outbox) == 1  # no verification mail: the link proved the address
    assert SignIn.objects.get(user=ana).method == "register"

    # Single use: a second sign-up with it, and its preview, are refused.
    r = _register(token, "ana2")
    assert (r.status_code, error_of(r)["code"]) == (410, "invitation_used")
    assert not User.objects.filter(username="ana2").exists()
    r = APIClient().get(f"/api/v1/auth/invitations/{token}")
    assert (r.status_code, error_of(r)["code"]) == (410, "invitation_used")
    assert client_for(boss).get("/api/v1/people/invitations").json()["results"] == []


@pytest.mark.django_db
def test_an_expired_withdrawn_or_unknown_invitation_creates_nothing(settings: Any) -> None:
    settings.REGISTRATION = "invite"
    boss = _staff()
    expired = _invite(boss, "late@example.org")
    Invitation.objects.filter(email="late@example.org").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    r = _register(expired, "late")
    assert (r.status_code, error_of(r)["code"]) == (410, "invitation_expired")

    withdrawn = _invite(boss, "gone@example.org")
    listed = client_for(boss).get("/api/v1/people/invitations").json()["results"]
    assert [i["email"] for i in listed] == ["gone@example.org"]
    assert client_for(boss).delete(f"/api/v1/people/invitations/{listed[0]['id']}").status_code == 204
    r = _register(withdrawn, "gone")
    assert (r.status_code, error_of(r)["code"]) == (410, "invitation_revoked")

    # Inviting again withdraws the earlier link to the same address.
    first = _invite(boss, "twice@example.org")
    second = _invite(boss, "twice@example.org")
    assert (_register(first, "twice").status_code, _register(second, "twice").status_code) == (410, 201)

    r = _register("made-up-token", "nobody")
    assert (r.status_code, error_of(r)["code"]) == (404, "invitation_not_found")
    assert not User.objects.filter(username__in=["late", "gone", "nobody"]).exists()


@pytest.mark.django_db
def test_an_invitation_needs_a_good_address_nobody_has() -> None:
    boss = _staff()
    make_user("taken")
    User.objects.filter(username="taken").update(email="taken@example.org")
    api = client_for(boss)
    r = api.post("/api/v1/people/invitations", {"email": "not an address"}, format="json")
    assert (r.status_code, list(error_of(r)["fields"])) == (400, ["email"])
    r = api.post("/api/v1/people/invitations", {"email": "TAKEN@example.org"}, format="json")
    assert (r.status_code, error_of(r)["code"]) == (400, "email_in_use")
    assert mail.outbox == [] and not Invitation.objects.exists()


@pytest.mark.django_db
def test_the_invitation_mail_is_in_the_language_asked_for() -> None:
    boss = _staff()
    r = client_for(boss).post(
        "/api/v1/people/invitations", {"email": "ja@example.org", "language": "ja"}, format="json"
    )
    assert r.status_code == 201
    assert "Parley" in mail.outbox[-1].subject and "invites you" not in mail.outbox[-1].subject


# --- REGISTRATION -----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "register", "guest"),
    [
        ("open", (201, None), (201, None)),
        ("invite", (403, "invitation_required"), (403, "guests_closed")),
        ("closed", (403, "registration_closed"), (403, "guests_closed")),
    ],
)
def test_registration_modes(
    settings: Any, mode: str, register: tuple[int, Any], guest: tuple[int, Any]
) -> None:
    settings.REGISTRATION = mode
    r = APIClient().get("/api/v1/auth/methods")
    assert (r.json()["registration"], r.json()["guests"]) == (mode, mode == "open")
    r = _register(username="walkin")
    assert (r.status_code, error_of(r)["code"] if r.status_code >= 400 else None) == register
    assert User.objects.filter(username="walkin").exists() == (mode == "open")
    r = APIClient().post("/api/v1/auth/guest", {"nickname": "Drifter"}, format="json")
    assert (r.status_code, error_of(r)["code"] if r.status_code >= 400 else None) == guest
    # Existing accounts sign in whatever the mode.
    make_user("regular")
    assert _login("regular")[1].status_code == 200


# --- the sign-in log --------------------------------------------------------------------------
@pytest.mark.django_db
def test_sign_ins_are_logged_with_method_address_and_device(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    boss = _staff()
    sam = make_user("sam")
    _c, r = _login(
        "sam", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", HTTP_USER_AGENT=PHONE
    )
    assert r.status_code == 200
    _c, r = _login("sam", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6", HTTP_USER_AGENT=FIREFOX)
    guest = APIClient().post("/api/v1/auth/guest", {"nickname": "Passerby"}, format="json")
    assert guest.status_code == 201
    token_client = client_for(sam)
    assert token_client.post("/api/v1/auth/token/renew").status_code == 200  # not a sign-in

    r = client_for(boss).get(f"/api/v1/people/{sam.pk}/sign-ins")
    assert r.status_code == 200, r.content
    rows = r.json()["sign_ins"]
    assert [(s["method"], s["ip"], s["device"], s["active"]) for s in rows] == [
        ("password", "198.51.100.7", "Firefox · Linux", True),  # a client's own X-Forwarded-For ignored
        ("password", "203.0.113.9", "Chrome · Android", True),  # the hop the trusted proxy added
    ]
    assert r.json()["person"]["username"] == "sam"
    visitor = User.objects.get(display_name="Passerby")
    assert SignIn.objects.get(user=visitor).method == "guest"


@pytest.mark.django_db
def test_only_the_newest_sign_ins_are_kept() -> None:
    kim = make_user("kim")
    for _ in range(KEEP + 3):
        assert _login("kim")[1].status_code == 200
    assert SignIn.objects.filter(user=kim).count() == KEEP


def test_the_device_is_a_short_approximate_name() -> None:
    assert device_summary(FIREFOX) == "Firefox · Linux"
    assert device_summary(PHONE) == "Chrome · Android"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0"
    assert device_summary(edge) == "Edge · Windows"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
    assert device_summary(iphone) == "Safari · iOS"
    headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36"
    assert device_summary(headless) == "Chrome · Linux"
    assert device_summary("curl/8.5.0") == "curl"
    assert device_summary("") == ""


@pytest.mark.django_db(transaction=True)
async def test_my_devices_and_signing_out_everywhere_else() -> None:
    lea = await db(make_user)("lea")

    def two_logins() -> tuple[APIClient, APIClient]:
        here, r = _login("lea", HTTP_USER_AGENT=FIREFOX)
        assert r.status_code == 200
        there, r = _login("lea", HTTP_USER_AGENT=PHONE)
        assert r.status_code == 200
        return here, there

    here, there = await db(two_logins)()
    elsewhere_token = await db(token_for)(lea)  # a login without a sign-in row (a bot's, say)
    socket = WsClient(elsewhere_token)
    assert (await socket.connect())[0]

    def mine() -> dict[str, Any]:
        r = here.get("/api/v1/me/sign-ins")
        assert r.status_code == 200, r.content
        return r.json()  # type: ignore[no-any-return]

    body = await db(mine)()
    assert body["has_password"] is True and body["methods"] == ["password"]
    assert [(s["device"], s["current"], s["active"]) for s in body["sign_ins"]] == [
        ("Chrome · Android", False, True),
        ("Firefox · Linux", True, True),
    ]

    def sign_out_others() -> Any:
        return here.post("/api/v1/me/sign-out-others")

    r = await db(sign_out_others)()
    assert r.status_code == 200 and r.json() == {"ended": 2}
    assert await socket.expect_close(2) == 4003

    def after() -> None:
        assert here.get("/api/v1/me").status_code == 200
        assert there.get("/api/v1/me").status_code == 401
        rows = here.get("/api/v1/me/sign-ins").json()["sign_ins"]
        assert [(s["current"], s["active"]) for s in rows] == [(False, False), (True, True)]

    await db(after)()


@pytest.mark.django_db
def test_a_deleted_account_leaves_no_sign_ins() -> None:
    ida = make_user("ida")
    _login("ida")
    assert SignIn.objects.filter(user=ida).exists()
    r = client_for(ida).delete("/api/v1/me", {"password": PASSWORD, "messages": "keep"}, format="json")
    assert r.status_code == 204, r.content
    assert not SignIn.objects.filter(user=ida).exists()
