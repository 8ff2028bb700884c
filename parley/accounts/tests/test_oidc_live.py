"""OpenID Connect end to end: a live Parley server and the certified `oidc-provider` on
loopback, driven by a real HTTP client that follows every redirect and fills in the IdP's own
login and consent pages. The account is made from the claims at the first sign-in (with the
name rules: a taken name gets a free variant), found again at the next, and linked to an
existing account only through an address both sides verified. A cancelled sign-in and a
replayed callback go back to the sign-in page."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from parley.accounts.tests.node_idp import NodeIdp, parley_with_idp
from parley.testing.live import ServerProcess, services_or_skip
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.services, pytest.mark.processes]

PASSWORD = "a long enough passphrase 42"
ACCOUNTS: dict[str, dict[str, object]] = {
    "ann": {
        "preferred_username": "ann",
        "name": "Ann Example",
        "email": "ann@example.org",
        "email_verified": True,
    },
    "clash": {"preferred_username": "keeper", "name": "Keeper Two", "email": "k2@example.org"},
    "linker": {"preferred_username": "linker-idp", "email": "linked@example.org", "email_verified": True},
    "unverified": {"preferred_username": "sneaky", "email": "linked@example.org", "email_verified": False},
}


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[ServerProcess, NodeIdp, Path]]:
    services_or_skip(redis=False)
    mail = Path(tempfile.mkdtemp(prefix="parley-oidc-mail-"))
    # No REDIS_URL for this server: its mail goes out at once (no worker), into `mail`.
    with parley_with_idp("postgres", ACCOUNTS, EMAIL_URL=f"filemail://{mail}") as (server, idp):
        yield server, idp, mail


def form_action(page: requests.Response) -> str:
    found = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert found, page.text[:500]
    return urljoin(page.url, found.group(1).replace("&amp;", "&"))


class Landing:
    """Where a walk of redirects ended: the first page of Parley's web client it reached (not
    fetched: the tests need no built client), and the URLs on the way."""

    def __init__(self, url: str, trail: list[str], page: requests.Response | None = None) -> None:
        self.url, self.trail, self.page = url, trail, page


def walk(session: requests.Session, server: ServerProcess, response: requests.Response) -> Landing:
    """Follow redirects by hand until one points at a page of the web client (or a page is
    answered: the IdP's forms)."""
    trail: list[str] = []
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        trail.append(target)
        if target.startswith(server.url) and not urlsplit(target).path.startswith("/auth/oidc/"):
            return Landing(target, trail)
        response = session.get(target, allow_redirects=False)
    return Landing(response.url, trail, response)


def idp_page(landing: Landing) -> requests.Response:
    assert landing.page is not None and "/interaction/" in landing.page.url, landing.url
    return landing.page


def idp_sign_in(session: requests.Session, server: ServerProcess, login: str, next_path: str = "") -> Landing:
    """Start at Parley, sign in and consent on the IdP's pages, follow it back."""
    params = {"next": next_path} if next_path else None
    start = session.get(f"{server.url}/auth/oidc/login", params=params, allow_redirects=False)
    page = idp_page(walk(session, server, start))
    data = {"prompt": "login", "login": login, "password": "any"}
    landing = walk(session, server, session.post(form_action(page), data=data, allow_redirects=False))
    if landing.page is not None and 'value="consent"' in landing.page.text:
        consent = session.post(form_action(landing.page), data={"prompt": "consent"}, allow_redirects=False)
        landing = walk(session, server, consent)
    return landing


def me(session: requests.Session, server: ServerProcess) -> dict[str, object] | None:
    r = session.get(f"{server.url}/api/v1/me")
    return r.json()["user"] if r.status_code == 200 else None  # type: ignore[no-any-return]


def sso_error(landing: Landing) -> str:
    url = urlsplit(landing.url)
    assert url.path == "/login", landing.url
    return parse_qs(url.query)["sso_error"][0]


def test_the_first_sign_in_makes_the_account_from_the_claims_and_lands_on_next(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, _mail = stack
    browser = requests.Session()
    landing = idp_sign_in(browser, server, "ann", next_path="/saved")
    assert landing.url == f"{server.url}/saved"
    assert any("/auth/oidc/callback" in url for url in landing.trail)
    user = me(browser, server)
    assert user is not None
    assert user["username"] == "ann" and user["display_name"] == "Ann Example"
    mail = browser.get(f"{server.url}/api/v1/me/mail").json()
    assert mail == {"email": "ann@example.org", "email_verified": True, "digest_enabled": True}
    # In the main room like any new account.
    rooms = browser.get(f"{server.url}/api/v1/rooms", params={"joined": "true"}).json()
    assert [r["name"] for r in rooms] == ["general"]
    # Another browser, another sign-in: the same account.
    again = requests.Session()
    assert idp_sign_in(again, server, "ann").url == f"{server.url}/"
    assert me(again, server)["id"] == user["id"]  # type: ignore[index]


def test_a_taken_username_gets_a_free_variant_and_an_unverified_address_stays_unverified(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, _mail = stack
    taken = requests.post(
        f"{server.url}/api/v1/auth/register", json={"username": "keeper", "password": PASSWORD}, timeout=10
    )
    assert taken.status_code == 201
    browser = requests.Session()
    idp_sign_in(browser, server, "clash")
    user = me(browser, server)
    assert user is not None and user["username"] == "keeper-2" and user["id"] != taken.json()["user"]["id"]
    mail = browser.get(f"{server.url}/api/v1/me/mail").json()
    assert mail["email"] == "k2@example.org" and mail["email_verified"] is False


def test_an_existing_account_is_linked_only_through_a_verified_address(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, mail = stack
    local = requests.post(
        f"{server.url}/api/v1/auth/register",
        json={"username": "localpal", "password": PASSWORD, "email": "linked@example.org"},
        timeout=10,
    ).json()["user"]

    def link() -> str | None:
        for f in mail.iterdir():
            found = re.search(r"/verify-email\?token=([^\s\"<]+)", f.read_text(errors="replace"))
            if found:
                return found.group(1)
        return None

    token = wait_until(link, timeout=10, what="the verification mail")
    assert requests.post(f"{server.url}/api/v1/auth/verify-email", json={"token": token}, timeout=10).ok

    # The IdP does not vouch for the address: a new account, not localpal's.
    stranger = requests.Session()
    idp_sign_in(stranger, server, "unverified")
    assert me(stranger, server)["id"] != local["id"]  # type: ignore[index]
    # It does: localpal's own account.
    owner = requests.Session()
    idp_sign_in(owner, server, "linker")
    assert me(owner, server)["id"] == local["id"]  # type: ignore[index]


def test_cancelling_at_the_idp_goes_back_to_the_sign_in_page(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, _mail = stack
    browser = requests.Session()
    start = browser.get(f"{server.url}/auth/oidc/login", allow_redirects=False)
    page = idp_page(walk(browser, server, start))
    cancel = re.search(r'href="([^"]+/abort)"', page.text)
    assert cancel, page.text[:500]
    back = walk(browser, server, browser.get(urljoin(page.url, cancel.group(1)), allow_redirects=False))
    assert sso_error(back) == "access_denied"
    assert me(browser, server) is None


def test_a_replayed_callback_signs_nobody_in(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, _mail = stack
    landing = idp_sign_in(requests.Session(), server, "ann")
    callback = next(url for url in landing.trail if "/auth/oidc/callback" in url)
    thief = requests.Session()
    assert sso_error(walk(thief, server, thief.get(callback, allow_redirects=False))) == "bad_state"
    assert me(thief, server) is None


def test_the_sign_in_page_is_told_about_the_idp(stack) -> None:  # type: ignore[no-untyped-def]
    server, _idp, _mail = stack
    methods = requests.get(f"{server.url}/api/v1/auth/methods", timeout=10).json()
    assert methods["oidc"] == {"name": "Example SSO", "login_url": "/auth/oidc/login"}
    assert methods["password"] is True
