"""Single sign-on in Chromium: the sign-in page offers "Sign in with Example SSO"; the person signs
in on the IdP's own pages (the certified oidc-provider on loopback) and lands back in Parley,
signed in, on the page they set out from. A sign-in cancelled at the IdP comes back to the
sign-in page with a message in the person's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.accounts.tests.node_idp import NodeIdp, parley_with_idp
from parley.testing.live import ROOT, ServerProcess, unavailable
from parley.web.tests import test_browser
from parley.web.tests.test_browser import new_page

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser
ACCOUNTS: dict[str, dict[str, object]] = {
    "wren": {
        "preferred_username": "wren",
        "name": "Wren Browser",
        "email": "wren@example.org",
        "email_verified": True,
    }
}


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[ServerProcess, NodeIdp]]:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    with parley_with_idp("sqlite", ACCOUNTS) as pair:
        yield pair


def test_signing_in_through_the_idps_own_pages(browser, stack) -> None:  # type: ignore[no-untyped-def]
    server, idp = stack
    context, page = new_page(browser, server)
    try:
        page.goto("/saved")  # signed out: the sign-in page, which remembers where to go
        page.get_by_test_id("sso-login").wait_for()
        assert page.get_by_test_id("sso-login").inner_text() == "Sign in with Example SSO"
        page.get_by_test_id("sso-login").click()

        # The IdP's own pages: its login form, then its consent.
        page.wait_for_url(f"{idp.url}/interaction/**")
        page.locator('input[name="login"]').fill("wren")
        page.locator('input[name="password"]').fill("any password")
        page.locator('button[type="submit"]').click()
        page.locator('button[type="submit"]', has_text="Continue").click()

        # Back in Parley, signed in, where the person set out for.
        page.wait_for_url(f"{server.url}/saved")
        page.get_by_test_id("saved-view").wait_for()
        page.get_by_test_id("current-user").wait_for()
        me = page.evaluate("fetch('/api/v1/me').then(r => r.json())")
        assert me["user"]["username"] == "wren" and me["user"]["display_name"] == "Wren Browser"
        # The account page says how this account signs in.
        page.goto("/account")
        method = page.get_by_test_id("sign-in-method")
        method.wait_for()
        assert method.inner_text() == "Example SSO (single sign-on)"
        assert method.get_attribute("data-kind") == "oidc"
        assert page.errors == []
    finally:
        context.close()


def test_a_cancelled_sign_in_comes_back_with_a_message(browser, stack) -> None:  # type: ignore[no-untyped-def]
    server, idp = stack
    context, page = new_page(browser, server, locale="ja-JP")
    try:
        page.goto("/login")
        page.get_by_test_id("sso-login").click()
        page.wait_for_url(f"{idp.url}/interaction/**")
        page.get_by_text("[ Cancel ]").click()
        page.wait_for_url(f"{server.url}/login?sso_error=access_denied")
        page.get_by_test_id("sso-error").wait_for()
        assert (
            page.get_by_test_id("sso-error").inner_text()
            == "Example SSO でのサインインがキャンセルされました。"
        )
        assert page.get_by_test_id("sso-login").inner_text() == "Example SSO でサインイン"
    finally:
        context.close()
