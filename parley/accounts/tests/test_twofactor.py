"""Two-factor sign-in through the REST API (issue 31): an authenticator app (TOTP), recovery
codes, passkeys, REQUIRE_2FA and staff's reset. Every rule and every refusal."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from channels.db import database_sync_to_async
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.accounts.tests.softkey import SoftKey
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user, token_for
from parley.testing.ws import WsClient

LOGIN = "/api/v1/auth/login"
TWOFA = "/api/v1/me/2fa"
TOTP, CONFIRM, CODES = f"{TWOFA}/totp", f"{TWOFA}/totp/confirm", f"{TWOFA}/recovery-codes"
KEYS, KEY_OPTIONS = f"{TWOFA}/passkeys", f"{TWOFA}/passkeys/options"
PK_OPTIONS, PK_LOGIN = "/api/v1/auth/passkey/options", "/api/v1/auth/passkey/login"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    """Failure counts and challenges live in the cache: each test starts without any."""
    cache.clear()
    yield
    cache.clear()


def login(username: str, password: str = PASSWORD, addr: str = "10.9.0.1", **extra: Any) -> Any:
    return APIClient().post(
        LOGIN, {"username": username, "password": password, **extra}, format="json", REMOTE_ADDR=addr
    )


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(user: User, client: APIClient | None = None) -> tuple[str, list[str]]:
    """Turn on TOTP for `user`; (secret, recovery codes). Confirming uses the previous step's
    code, so the current one is left for the test to use."""
    client = client or client_for(user)
    r = client.post(TOTP)
    assert r.status_code == 200, r.content
    secret = r.json()["secret"]
    r = client.post(CONFIRM, {"code": code_at(secret, -1)}, format="json")
    assert r.status_code == 200, r.content
    return secret, r.json()["recovery_codes"]


# --- TOTP enrolment ------------------------------------------------------------------


def test_enrolment_is_pending_until_a_code_confirms_it() -> None:
    user = make_user()
    client = client_for(user)
    r = client.post(TOTP)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"secret", "otpauth_url", "qr_svg"}
    assert body["otpauth_url"].startswith("otpauth://totp/Parley:") and body["secret"] in body["otpauth_url"]
    assert body["qr_svg"].startswith("data:image/svg+xml;base64,")
    status = client.get(TWOFA).json()
    assert status["totp"] is False and status["totp_pending"] is True
    assert body["secret"] not in str(status)
    # Pending: signing in does not ask for a code yet.
    assert login(user.username).status_code == 200
    not_it = "000000" if code_at(body["secret"]) != "000000" else "111111"
    wrong = client.post(CONFIRM, {"code": not_it}, format="json")
    assert wrong.status_code == 400 and error_of(wrong)["code"] == "invalid_code"
    ok = client.post(CONFIRM, {"code": code_at(body["secret"])}, format="json")
    assert ok.status_code == 200
    codes = ok.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = client.get(TWOFA).json()
    assert status["totp"] is True and status["recovery_codes_left"] == 10
    # Confirmed: the secret is not handed out again, and a second enrolment is refused.
    again = client.post(TOTP)
    assert again.status_code == 409 and error_of(again)["code"] == "totp_enabled"
    assert body["secret"] not in str(client.get(TWOFA).json())


def test_confirm_without_an_enrolment_is_refused() -> None:
    r = client_for(make_user()).post(CONFIRM, {"code": "123456"}, format="json")
    assert r.status_code == 400 and error_of(r)["code"] == "totp_not_pending"


def test_guests_cannot_enrol() -> None:
    r = client_for(make_guest()).post(TOTP)
    assert r.status_code == 403


# --- signing in with a code ----------------------------------------------------------


def test_login_asks_for_the_code_then_accepts_it_once() -> None:
    user = make_user()
    secret, _ = enrol(user)
    r = login(user.username)
    assert r.status_code == 401
    err = error_of(r)
    assert err["code"] == "otp_required" and err["methods"] == ["totp", "recovery"]
    assert err["login_token"] and "token" not in r.json()
    assert "sessionid" not in r.cookies or not r.cookies["sessionid"].value
    code = code_at(secret)
    ok = login(user.username, otp=code)
    assert ok.status_code == 200 and ok.json()["user"]["id"] == user.pk and ok.json()["token"]
    replay = login(user.username, otp=code)
    assert replay.status_code == 401 and error_of(replay)["code"] == "otp_invalid"
    # An older code after a newer one is refused too (it was shown before the last one).
    assert login(user.username, otp=code_at(secret, -1)).status_code == 401


def test_a_code_of_the_next_or_previous_step_is_accepted_but_not_two_steps_away() -> None:
    user = make_user()
    secret, _ = enrol(user)
    assert login(user.username, otp=code_at(secret, 3)).status_code == 401
    assert login(user.username, otp=code_at(secret, 1)).status_code == 200


def test_codes_that_are_not_ascii_digits_are_wrong_codes_not_errors() -> None:
    user = make_user()
    enrol(user)
    fullwidth = "".join(chr(0xFF11 + i) for i in range(6))
    for odd in ["\u0661\u0662\u0663\u0664\u0665\u0666", fullwidth, "12 34 5", "x" * 64, "\u0000"]:
        r = login(user.username, otp=odd, addr="10.9.4.4")
        assert r.status_code in {400, 401}, (odd, r.content)


def test_a_wrong_password_with_a_right_code_is_still_a_wrong_password() -> None:
    user = make_user()
    secret, _ = enrol(user)
    r = login(user.username, password="not it", otp=code_at(secret))
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_credentials"


def test_a_recovery_code_signs_in_once() -> None:
    user = make_user()
    _, codes = enrol(user)
    assert login(user.username, otp=codes[0].upper().replace("-", " ")).status_code == 200
    again = login(user.username, otp=codes[0])
    assert again.status_code == 401 and error_of(again)["code"] == "otp_invalid"
    assert client_for(user).get(TWOFA).json()["recovery_codes_left"] == 9


def test_wrong_codes_count_toward_the_lockout() -> None:
    user = make_user()
    secret, _ = enrol(user)
    answers = [login(user.username, otp="000001", addr="10.9.1.1").status_code for _ in range(5)]
    assert answers[:4] == [401] * 4 and answers[4] == 429
    # Locked: even the right password with the right code waits, from that address.
    locked = login(user.username, otp=code_at(secret), addr="10.9.1.1")
    assert locked.status_code == 429
    assert login(user.username, otp=code_at(secret), addr="10.9.1.2").status_code == 200


def test_wrong_codes_count_toward_the_per_address_limit(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_fail": "3/hour"}
    users = [make_user() for _ in range(3)]
    for u in users:
        enrol(u)
        assert login(u.username, otp="999999", addr="10.9.2.2").status_code == 401
    fresh = make_user()
    assert login(fresh.username, addr="10.9.2.2").status_code == 429


def test_tokens_are_not_asked_for_a_second_factor() -> None:
    user = make_user()
    client = client_for(user)
    enrol(user, client)
    assert client.get("/api/v1/rooms").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


# --- recovery codes and turning it off ------------------------------------------------


def test_regenerating_codes_needs_the_password_and_a_code_and_voids_the_old_ones() -> None:
    user = make_user()
    client = client_for(user)
    secret, old = enrol(user, client)
    missing = client.post(CODES, {"password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "code" in error_of(missing)["fields"]
    wrong_pw = client.post(CODES, {"password": "nope", "code": code_at(secret)}, format="json")
    assert wrong_pw.status_code == 400 and error_of(wrong_pw)["code"] == "invalid_credentials"
    wrong_code = client.post(CODES, {"password": PASSWORD, "code": "abcde-fghij"}, format="json")
    assert wrong_code.status_code == 400 and error_of(wrong_code)["code"] == "invalid_code"
    r = client.post(CODES, {"password": PASSWORD, "code": old[0]}, format="json")
    assert r.status_code == 200
    new = r.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert login(user.username, otp=old[1]).status_code == 401
    assert login(user.username, otp=new[0]).status_code == 200


def test_regenerating_codes_without_an_app_is_refused() -> None:
    r = client_for(make_user()).post(CODES, {"password": PASSWORD, "code": "123456"}, format="json")
    assert r.status_code == 409 and error_of(r)["code"] == "totp_not_enabled"


def test_turning_it_off_needs_the_password_and_a_current_code() -> None:
    user = make_user()
    client = client_for(user)
    secret, codes = enrol(user, client)
    no_code = client.delete(TWOFA, {"password": PASSWORD}, format="json")
    assert no_code.status_code == 400
    wrong_pw = client.delete(TWOFA, {"password": "nope", "code": code_at(secret)}, format="json")
    assert wrong_pw.status_code == 400 and error_of(wrong_pw)["code"] == "invalid_credentials"
    wrong = client.delete(TWOFA, {"password": PASSWORD, "code": "123-456-x"}, format="json")
    assert wrong.status_code == 400 and error_of(wrong)["code"] == "invalid_code"
    assert client.delete(TWOFA, {"password": PASSWORD, "code": codes[3]}, format="json").status_code == 204
    status = client.get(TWOFA).json()
    assert status["totp"] is False and status["recovery_codes_left"] == 0
    assert login(user.username).status_code == 200
    again = client.delete(TWOFA, {"password": PASSWORD, "code": codes[4]}, format="json")
    assert again.status_code == 409


# --- passkeys ------------------------------------------------------------------------


def add_passkey(
    client: APIClient, *, passwordless: bool = False, name: str = "Laptop"
) -> tuple[SoftKey, dict[str, Any]]:
    r = client.post(KEY_OPTIONS, {"password": PASSWORD, "passwordless": passwordless}, format="json")
    assert r.status_code == 200, r.content
    options = r.json()["options"]
    assert options["rp"]["id"] == "testserver"
    key = SoftKey()
    r = client.post(
        KEYS, {"ticket": r.json()["ticket"], "credential": key.create(options), "name": name}, format="json"
    )
    assert r.status_code == 201, r.content
    return key, r.json()


def test_passkeys_are_added_listed_renamed_and_removed() -> None:
    user = make_user()
    client = client_for(user)
    no_pw = client.post(KEY_OPTIONS, {"password": "nope"}, format="json")
    assert no_pw.status_code == 400 and error_of(no_pw)["code"] == "invalid_credentials"
    _, first = add_passkey(client, name="Laptop")
    _, second = add_passkey(client, name="Phone", passwordless=True)
    assert [p["name"] for p in client.get(KEYS).json()] == ["Laptop", "Phone"]
    assert second["passwordless"] is True and first["passwordless"] is False
    renamed = client.patch(f"{KEYS}/{first['id']}", {"name": "  Work   laptop "}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Work laptop"
    blank = client.patch(f"{KEYS}/{first['id']}", {"name": "   "}, format="json")
    assert blank.status_code == 400
    other = client_for(make_user())
    assert other.patch(f"{KEYS}/{first['id']}", {"name": "mine"}, format="json").status_code == 404
    assert other.delete(f"{KEYS}/{first['id']}", {"password": PASSWORD}, format="json").status_code == 404
    assert client.delete(f"{KEYS}/{first['id']}", {"password": "nope"}, format="json").status_code == 400
    assert client.delete(f"{KEYS}/{first['id']}", {"password": PASSWORD}, format="json").status_code == 204
    assert [p["name"] for p in client.get(KEYS).json()] == ["Phone"]
    assert client.get(TWOFA).json()["passkeys"][0]["id"] == second["id"]


def test_a_registration_challenge_is_used_once_and_the_same_key_not_twice() -> None:
    client = client_for(make_user())
    r = client.post(KEY_OPTIONS, {"password": PASSWORD}, format="json")
    key = SoftKey()
    credential = key.create(r.json()["options"])
    body = {"ticket": r.json()["ticket"], "credential": credential, "name": "A"}
    assert client.post(KEYS, body, format="json").status_code == 201
    replay = client.post(KEYS, body, format="json")
    assert replay.status_code == 400 and error_of(replay)["code"] == "challenge_expired"
    r = client.post(KEY_OPTIONS, {"password": PASSWORD}, format="json")
    assert r.json()["options"]["excludeCredentials"][0]["id"] == key.id
    again = client.post(
        KEYS,
        {"ticket": r.json()["ticket"], "credential": key.create(r.json()["options"]), "name": "B"},
        format="json",
    )
    assert again.status_code == 409 and error_of(again)["code"] == "passkey_exists"


def test_a_forged_registration_is_refused() -> None:
    client = client_for(make_user())
    r = client.post(KEY_OPTIONS, {"password": PASSWORD}, format="json")
    options = {**r.json()["options"], "challenge": "AAAAAAAAAAAAAAAAAAAAAA"}  # not the one issued
    bad = client.post(
        KEYS,
        {"ticket": r.json()["ticket"], "credential": SoftKey().create(options), "name": "X"},
        format="json",
    )
    assert bad.status_code == 400 and error_of(bad)["code"] == "passkey_invalid"
    # Another person's ticket is not mine.
    r = client.post(KEY_OPTIONS, {"password": PASSWORD}, format="json")
    thief = client_for(make_user())
    body = {"ticket": r.json()["ticket"], "credential": SoftKey().create(r.json()["options"]), "name": "X"}
    stolen = thief.post(KEYS, body, format="json")
    assert stolen.status_code == 400


def test_a_passkey_is_the_second_factor_after_the_password() -> None:
    user = make_user()
    key, _ = add_passkey(client_for(user))
    r = login(user.username)
    assert r.status_code == 401 and error_of(r)["methods"] == ["passkey"]
    token = error_of(r)["login_token"]
    options = APIClient().post(PK_OPTIONS, {"login_token": token}, format="json")
    assert options.status_code == 200
    allowed = [c["id"] for c in options.json()["options"]["allowCredentials"]]
    assert allowed == [key.id]
    assertion = key.get(options.json()["options"])
    client = APIClient()
    ok = client.post(PK_LOGIN, {"ticket": options.json()["ticket"], "credential": assertion}, format="json")
    assert ok.status_code == 200 and ok.json()["user"]["id"] == user.pk
    assert client.get("/api/v1/me").status_code == 200  # the session cookie is set
    replay = APIClient().post(
        PK_LOGIN, {"ticket": options.json()["ticket"], "credential": assertion}, format="json"
    )
    assert replay.status_code == 400 and error_of(replay)["code"] == "challenge_expired"


def test_the_passkey_step_needs_a_fresh_login_token_of_the_same_account() -> None:
    user = make_user()
    add_passkey(client_for(user))
    forged = APIClient().post(PK_OPTIONS, {"login_token": "x" * 40}, format="json")
    assert forged.status_code == 400 and error_of(forged)["code"] == "login_token_expired"
    mallory = make_user()
    mallory_key, _ = add_passkey(client_for(mallory))
    token = error_of(login(user.username))["login_token"]
    options = APIClient().post(PK_OPTIONS, {"login_token": token}, format="json").json()
    # Mallory's own valid passkey does not finish someone else's sign-in.
    wrong = APIClient().post(
        PK_LOGIN,
        {"ticket": options["ticket"], "credential": mallory_key.get(options["options"])},
        format="json",
    )
    assert wrong.status_code == 400 and error_of(wrong)["code"] == "passkey_invalid"


def test_only_a_passwordless_passkey_signs_in_alone_and_only_with_user_verification() -> None:
    user = make_user()
    client = client_for(user)
    second_only, _ = add_passkey(client)
    alone, _ = add_passkey(client, passwordless=True)

    def attempt(key: SoftKey, verified: bool = True) -> Any:
        options = APIClient().post(PK_OPTIONS, {}, format="json").json()
        assert options["options"].get("allowCredentials", []) == []
        assert options["options"]["userVerification"] == "required"
        credential = key.get(options["options"], verified=verified)
        return APIClient().post(
            PK_LOGIN, {"ticket": options["ticket"], "credential": credential}, format="json"
        )

    assert attempt(second_only).status_code == 400
    assert attempt(alone, verified=False).status_code == 400
    ok = attempt(alone)
    assert ok.status_code == 200 and ok.json()["user"]["id"] == user.pk


def test_failed_passkey_assertions_count_toward_the_lockout() -> None:
    user = make_user()
    key, _ = add_passkey(client_for(user))
    forged = SoftKey(credential_id=key.credential_id)  # the right id, another private key
    answers = []
    for _ in range(5):
        token = error_of(login(user.username, addr="10.9.3.3"))["login_token"]
        options = APIClient().post(PK_OPTIONS, {"login_token": token}, format="json", REMOTE_ADDR="10.9.3.3")
        body = {"ticket": options.json()["ticket"], "credential": forged.get(options.json()["options"])}
        r = APIClient().post(PK_LOGIN, body, format="json", REMOTE_ADDR="10.9.3.3")
        answers.append(r.status_code)
    assert answers == [400] * 4 + [429]  # the fifth failure locks, as a fifth wrong password does
    assert login(user.username, addr="10.9.3.3").status_code == 429


# --- REQUIRE_2FA ----------------------------------------------------------------------


def test_require_staff_holds_a_staff_member_without_a_factor_at_enrolment(settings: Any) -> None:
    settings.REQUIRE_2FA = "staff"
    staff = make_user()
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    person = make_user()
    r = login(staff.username)
    assert r.status_code == 200  # signing in works: enrolling needs a session
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    held = client.get("/api/v1/rooms")
    assert held.status_code == 403 and error_of(held)["code"] == "second_factor_required"
    assert (
        client.post("/api/v1/rooms", {"name": "x", "visibility": "public"}, format="json").status_code == 403
    )
    assert client.get("/api/v1/me").status_code == 200
    assert client.get(TWOFA).json()["mandatory"] is True
    # People the policy does not name are not held.
    assert client_for(person).get("/api/v1/rooms").status_code == 200
    enrol(User.objects.get(pk=staff.pk), client)
    assert client.get("/api/v1/rooms").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204


def test_require_all_holds_people_but_never_bots(settings: Any) -> None:
    settings.REQUIRE_2FA = "all"
    person = make_user()
    held = client_for(person).get("/api/v1/rooms")
    assert held.status_code == 403 and error_of(held)["code"] == "second_factor_required"
    bot = make_user()
    User.objects.filter(pk=bot.pk).update(is_bot=True)
    assert client_for(User.objects.get(pk=bot.pk)).get("/api/v1/rooms").status_code == 200
    guest = make_guest()
    assert client_for(guest).get("/api/v1/rooms").status_code == 200
    # A passkey is a second factor too.
    client = client_for(person)
    add_passkey(client)
    assert client.get("/api/v1/rooms").status_code == 200


def test_the_last_factor_cannot_be_removed_while_it_is_required(settings: Any) -> None:
    settings.REQUIRE_2FA = "all"
    user = make_user()
    client = client_for(user)
    _, codes = enrol(user, client)
    r = client.delete(TWOFA, {"password": PASSWORD, "code": codes[0]}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "second_factor_required"
    _, passkey = add_passkey(client)
    assert client.delete(TWOFA, {"password": PASSWORD, "code": codes[0]}, format="json").status_code == 204
    last = client.delete(f"{KEYS}/{passkey['id']}", {"password": PASSWORD}, format="json")
    assert last.status_code == 403 and error_of(last)["code"] == "second_factor_required"


# --- staff's reset -------------------------------------------------------------------


def test_staff_reset_removes_every_second_factor_and_is_logged() -> None:
    staff = make_user()
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.refresh_from_db()
    person = make_user()
    client = client_for(person)
    enrol(person, client)
    add_passkey(client)
    assert login(person.username).status_code == 401
    url = f"/api/v1/people/{person.pk}/2fa"
    assert client_for(make_user()).delete(url).status_code == 403
    assert client_for(staff).delete("/api/v1/people/999999/2fa").status_code == 404
    assert client_for(staff).delete(url).status_code == 204
    status = client.get(TWOFA).json()
    assert status == {**status, "totp": False, "recovery_codes_left": 0, "passkeys": []}
    assert login(person.username).status_code == 200
    entry = LogEntry.objects.get(user=staff, object_id=str(person.pk))
    assert "second factors" in entry.change_message


def test_passkey_challenges_are_throttled_per_address(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "passkey_options": "3/minute"}
    answers = [
        APIClient().post(PK_OPTIONS, {}, format="json", REMOTE_ADDR="10.9.5.5").status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]


@pytest.mark.django_db(transaction=True)
async def test_require_2fa_refuses_the_socket_until_a_factor_is_set_up(settings: Any) -> None:
    settings.REQUIRE_2FA = "all"

    @database_sync_to_async
    def person() -> tuple[User, str]:
        user = make_user()
        return user, token_for(user)

    user, token = await person()
    ok, _ = await WsClient(token).connect(expect_hello=False)
    assert not ok
    await database_sync_to_async(enrol)(user)
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok and client.hello is not None
    await client.close()


def test_a_password_change_voids_a_pending_login_token() -> None:
    user = make_user()
    client = client_for(user)
    add_passkey(client)
    token = error_of(login(user.username))["login_token"]
    assert APIClient().post(PK_OPTIONS, {"login_token": token}, format="json").status_code == 200
    changed = client.post(
        "/api/v1/me/password",
        {"old_password": PASSWORD, "new_password": "another long passphrase 7"},
        format="json",
    )
    assert changed.status_code == 204
    stale = APIClient().post(PK_OPTIONS, {"login_token": token}, format="json")
    assert stale.status_code == 400 and error_of(stale)["code"] == "login_token_expired"


def test_a_cloned_passkey_whose_counter_goes_back_is_refused() -> None:
    user = make_user()
    key, _ = add_passkey(client_for(user))

    def attempt() -> int:
        token = error_of(login(user.username))["login_token"]
        options = APIClient().post(PK_OPTIONS, {"login_token": token}, format="json").json()
        body = {"ticket": options["ticket"], "credential": key.get(options["options"])}
        return APIClient().post(PK_LOGIN, body, format="json").status_code  # type: ignore[no-any-return]

    assert attempt() == 200
    key.counter = 0  # the next assertion says 1 again: a copy of the key, or a replay
    assert attempt() == 400
