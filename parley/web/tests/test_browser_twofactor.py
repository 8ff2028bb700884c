"""Two-factor sign-in in Chromium (issue 31).

Someone turns on an authenticator app from the account page (the test reads the secret
shown for typing by hand and computes codes with pyotp, as the app would), signs out and
back in with a code, uses a recovery code once (the second use is refused), adds a passkey
with Chromium's virtual authenticator (DevTools protocol) and signs in with it alone and as
the second factor after the password. On a server with REQUIRE_2FA=all, a new account is held
on the enrolment screen until it has a second factor.

WebAuthn needs a secure context and a domain as the relying party's ID: the pages are opened
on http://localhost (secure for browsers), never on 127.0.0.1 (an IP address is no RP ID).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, unavailable
from parley.web.tests import test_browser
from parley.web.tests.test_browser import TIMEOUT, sign_up_on_screen, unique

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser
server = test_browser.server
PASSWORD = "a long enough passphrase 42"


def sign_out(page) -> None:
    page.get_by_test_id("logout").first.click()
    page.get_by_test_id("account-form").wait_for()


def password_step(page, username: str) -> None:
    page.goto("/login")
    page.get_by_test_id("tab-login").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("second-step").wait_for()


def signed_in(page) -> None:
    page.get_by_test_id("lobby").wait_for()
    assert "/login" not in page.url


def test_totp_recovery_codes_and_passkeys_end_to_end(browser, server: ServerProcess) -> None:
    # localhost, not 127.0.0.1: the server's host names both (ALLOWED_HOSTS).
    context = browser.new_context(base_url=f"http://localhost:{server.port}", locale="en-US")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        name = unique("tf")
        sign_up_on_screen(page, name)

        # Turn on the authenticator app: QR code and the secret as text, then a code from it.
        page.goto("/account")
        page.get_by_test_id("totp-start").click()
        qr = page.get_by_test_id("totp-qr")
        qr.wait_for()
        assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert page.evaluate("el => el.naturalWidth > 0", qr.element_handle())
        secret = page.get_by_test_id("totp-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        page.get_by_test_id("totp-code").fill(totp.now())
        page.get_by_test_id("totp-confirm").click()
        page.get_by_test_id("recovery-codes").wait_for()
        codes = [c.strip() for c in page.get_by_test_id("recovery-code").all_inner_texts()]
        assert len(codes) == 10
        page.get_by_test_id("recovery-done").click()
        page.get_by_test_id("totp-on").wait_for()
        assert "10" in page.get_by_test_id("totp-on").inner_text()

        # Sign out, and back in with the next code (the one just used is spent).
        sign_out(page)
        password_step(page, name)
        page.get_by_test_id("otp-code").fill(totp.at(time.time() + 30))
        page.get_by_test_id("otp-submit").click()
        signed_in(page)

        # A recovery code signs in once; the second time it is refused.
        sign_out(page)
        password_step(page, name)
        page.get_by_test_id("otp-use-recovery").click()
        page.get_by_test_id("otp-code").fill(codes[0])
        page.get_by_test_id("otp-submit").click()
        signed_in(page)
        sign_out(page)
        password_step(page, name)
        page.get_by_test_id("otp-use-recovery").click()
        page.get_by_test_id("otp-code").fill(codes[0])
        page.get_by_test_id("otp-submit").click()
        page.get_by_test_id("error-otp").wait_for()
        assert page.get_by_test_id("second-step").is_visible()
        page.get_by_test_id("otp-code").fill(codes[1])
        page.get_by_test_id("otp-submit").click()
        signed_in(page)

        # A passkey, made by Chromium's virtual authenticator (a platform one, with user
        # verification: it can sign in alone).
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )
        page.goto("/account")
        page.get_by_test_id("passkey-name").fill("Test laptop")
        page.get_by_test_id("passkey-passwordless").check()
        page.get_by_test_id("passkey-password").fill(PASSWORD)
        page.get_by_test_id("passkey-add").click()
        page.locator('[data-testid="passkey"][data-name="Test laptop"]').wait_for()

        # Sign in with the passkey alone (no username, no password).
        sign_out(page)
        page.goto("/login")
        page.get_by_test_id("tab-login").click()
        page.get_by_test_id("passkey-signin").click()
        signed_in(page)

        # And as the second factor after the password.
        sign_out(page)
        password_step(page, name)
        page.get_by_test_id("otp-passkey").click()
        signed_in(page)
        assert errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def strict_site() -> Iterator[ServerProcess]:
    """A server of its own where every person must have a second factor."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    with private_database("sqlite") as db:
        env = base_env(db, REQUIRE_2FA="all")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


def test_require_2fa_holds_a_new_account_on_the_enrolment_screen(browser, strict_site: ServerProcess) -> None:
    context = browser.new_context(base_url=f"http://localhost:{strict_site.port}", locale="en-US")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        name = unique("held")
        page.goto("/login")
        page.get_by_test_id("tab-register").click()
        page.get_by_test_id("login-username").fill(name)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        # The API refuses the rooms: the client goes to the enrolment screen and stays there.
        page.get_by_test_id("two-factor-enrol").wait_for()
        page.get_by_test_id("two-factor-required").wait_for()
        assert page.get_by_test_id("two-factor-continue").is_disabled()
        page.goto("/")
        page.get_by_test_id("two-factor-enrol").wait_for()

        page.get_by_test_id("totp-start").click()
        secret = page.get_by_test_id("totp-secret").inner_text().strip()
        page.get_by_test_id("totp-code").fill(pyotp.TOTP(secret).now())
        page.get_by_test_id("totp-confirm").click()
        page.get_by_test_id("recovery-codes").wait_for()
        page.get_by_test_id("recovery-done").click()
        page.get_by_test_id("two-factor-continue").click()
        page.get_by_test_id("lobby").wait_for()
        assert page.get_by_test_id("two-factor-enrol").count() == 0
    finally:
        context.close()
