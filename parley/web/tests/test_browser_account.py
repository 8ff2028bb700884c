"""Account screens in Chromium against a server that writes its mail to files.

Someone registers with an address and confirms it from the mailed link; forgets
the password, asks for a link, sets a new password from it and signs in with
that one only; a broken confirmation link leads to sending a new one from the
account page; and the socket is opened with a one-time ticket, never a token.
Every screen is captured at desktop and phone size.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.testing.live import (
    ROOT,
    ServerProcess,
    base_env,
    migrate,
    private_database,
    unavailable,
)
from parley.testing.waits import in_page, wait_until
from parley.web.tests import test_browser
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser import sign_up_on_screen as sign_up

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser

PASSWORD = "a long enough passphrase 42"
NEW_PASSWORD = "another long passphrase 7"
SITE = "http://parley.test"  # SITE_URL of the mail site: what its mailed links start with
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def mail_site() -> Iterator[tuple[ServerProcess, Path]]:
    """A server of its own whose mail lands as files in a folder, with links to itself."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    outbox = Path(tempfile.mkdtemp(prefix="parley-mail-"))
    try:
        with private_database("sqlite") as db:
            # The port is known only once the server has bound it, so the mails name a site of
            # their own and the browser opens their links on the server (`on`).
            env = base_env(db, EMAIL_URL=f"filemail://{outbox}", SITE_URL=SITE)
            migrate(env)
            server = ServerProcess(env).start()
            try:
                yield server, outbox
            finally:
                server.stop()
    finally:
        shutil.rmtree(outbox, ignore_errors=True)


def mails_to(outbox: Path, address: str) -> list[str]:
    """The plain-text bodies of the mails sent to `address`, oldest first."""
    bodies = []
    for path in sorted(outbox.glob("*.log")):
        # The file backend writes each message followed by a line of 79 dashes.
        for raw in path.read_bytes().split(b"-" * 79):
            if not raw.strip():
                continue
            msg = email.message_from_bytes(raw.lstrip(), policy=email.policy.default)
            if msg["To"] != address:
                continue
            part = msg.get_body(preferencelist=("plain",))
            assert part is not None
            bodies.append(part.get_content())
    return bodies


def link_in_mail(outbox: Path, address: str, path: str, *, count: int = 1, timeout: float = 15) -> str:
    """The `path?token=…` link of the `count`-th mail to `address` (waiting for it to arrive)."""

    def arrived() -> list[str] | None:
        bodies = mails_to(outbox, address)
        return bodies if len(bodies) >= count else None

    bodies = wait_until(
        arrived,
        timeout=timeout,
        interval=0.1,
        what=f"mail #{count} to {address} in {outbox}",
    )
    link = re.search(rf"(\S+{re.escape(path)}\?token=\S+)", bodies[count - 1])
    assert link, bodies[count - 1]
    return link.group(1)


def on(server: ServerProcess, link: str) -> str:
    """A mailed link of this site (SITE_URL), opened on the test's server."""
    assert link.startswith(SITE + "/"), link
    return server.url + link.removeprefix(SITE)


def shot(page, name: str, size: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"account-{name}-{size}.png"), full_page=True)
    # Nothing wider than the screen, on every account screen.
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("tab-login").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("size", list(SIZES))
def test_register_verify_forget_and_reset_the_password(browser, mail_site, size: str) -> None:
    server, outbox = mail_site
    ctx, page = new_page(browser, server, viewport=SIZES[size])
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    username = unique("mia")
    address = f"{username}@example.org"
    try:
        # Register with an address: the lobby opens, the socket with a one-time ticket.
        page.goto("/login")
        page.get_by_test_id("tab-register").click()
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-email").fill(address)
        shot(page, "register", size)
        page.get_by_test_id("login-submit").click()
        page.get_by_test_id("composer").wait_for()  # a new account lands in the main room
        page.get_by_text(f"We sent a link to {address}").wait_for()
        wait_until(lambda: sockets, what="the page's socket", pause=in_page(page))
        assert sockets and all("?ticket=" in url and "token=" not in url for url in sockets), sockets

        # The mailed link is this site's /verify-email, and opening it confirms the address.
        link = link_in_mail(outbox, address, "/verify-email")
        assert link.startswith(f"{SITE}/verify-email?token="), link
        page.goto(on(server, link))
        page.get_by_test_id("verify-ok").wait_for()
        assert "Verified" in page.get_by_test_id("verify-ok").inner_text()
        assert address in page.get_by_test_id("verify-ok").inner_text()
        shot(page, "verified", size)

        # The account page says so and turns the digest off for good.
        page.get_by_test_id("verify-account").click()
        state = page.get_by_test_id("account-email-state")
        state.wait_for()
        assert state.get_attribute("data-verified") == "true"
        assert address in state.inner_text() and "Verified" in state.inner_text()
        digest = page.get_by_test_id("account-digest")
        assert digest.is_checked()
        with page.expect_response(lambda r: r.url.endswith("/me/mail") and r.request.method == "PATCH"):
            digest.click()
        shot(page, "page", size)
        page.reload()
        page.get_by_test_id("account-email-state").wait_for()
        assert not page.get_by_test_id("account-digest").is_checked()

        # Signed out, the password is forgotten: ask for a link by username.
        page.get_by_test_id("logout").click()
        page.get_by_test_id("account-form").wait_for()
        page.get_by_test_id("tab-login").click()
        page.get_by_test_id("forgot-password-link").click()
        page.get_by_test_id("forgot-login").fill(username)
        shot(page, "forgot", size)
        page.get_by_test_id("forgot-submit").click()
        sent = page.get_by_test_id("reset-sent")
        sent.wait_for()
        assert "If an account matches" in sent.inner_text()
        shot(page, "forgot-sent", size)

        # The mailed link opens the reset form; two different passwords are refused there.
        reset = link_in_mail(outbox, address, "/reset-password", count=2)
        assert reset.startswith(f"{SITE}/reset-password?token="), reset
        page.goto(on(server, reset))
        page.get_by_test_id("reset-password").fill(NEW_PASSWORD)
        page.get_by_test_id("reset-repeat").fill(NEW_PASSWORD + "x")
        page.get_by_test_id("reset-submit").click()
        page.get_by_test_id("error-repeat").wait_for()
        assert "not the same" in page.get_by_test_id("error-repeat").inner_text()
        shot(page, "reset-mismatch", size)
        page.get_by_test_id("reset-repeat").fill(NEW_PASSWORD)
        page.get_by_test_id("reset-submit").click()

        # Every login ended: sent to sign in, where only the new password works.
        page.get_by_test_id("login-notice").wait_for()
        shot(page, "reset-done", size)
        sign_in(page, username, PASSWORD)
        page.get_by_test_id("form-error").wait_for()
        assert "Wrong username or password" in page.get_by_test_id("form-error").inner_text()
        sign_in(page, username, NEW_PASSWORD)
        page.get_by_test_id("lobby").wait_for()

        # The link worked once.
        page.goto(on(server, reset))
        page.get_by_test_id("reset-password").fill("yet another passphrase 9")
        page.get_by_test_id("reset-repeat").fill("yet another passphrase 9")
        page.get_by_test_id("reset-submit").click()
        page.get_by_test_id("reset-bad-link").wait_for()
        page.get_by_test_id("reset-ask-again").wait_for()
        shot(page, "reset-used", size)
        assert page.errors == []
    finally:
        ctx.close()


def test_a_broken_confirmation_link_leads_to_sending_a_new_one(browser, mail_site) -> None:
    server, outbox = mail_site
    ctx, page = new_page(browser, server, viewport=SIZES["phone"])
    username = unique("leo")
    address = f"{username}@example.org"
    try:
        page.goto("/login")
        page.get_by_test_id("tab-register").click()
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-email").fill(address)
        page.get_by_test_id("login-submit").click()
        page.get_by_test_id("composer").wait_for()  # a new account lands in the main room
        page.goto("/")
        page.get_by_test_id("lobby").wait_for()
        link_in_mail(outbox, address, "/verify-email")

        page.goto("/verify-email?token=not-a-real-token")
        page.get_by_test_id("verify-bad-link").wait_for()
        shot(page, "verify-invalid", "phone")
        page.get_by_test_id("verify-resend-link").click()
        state = page.get_by_test_id("account-email-state")
        state.wait_for()
        assert state.get_attribute("data-verified") == "false"
        page.get_by_test_id("account-resend").click()
        page.get_by_test_id("account-status").wait_for()
        shot(page, "unverified", "phone")

        page.goto(on(server, link_in_mail(outbox, address, "/verify-email", count=2)))
        page.get_by_test_id("verify-ok").wait_for()
        assert page.errors == []
    finally:
        ctx.close()


# --- the profile card (issue 17): picture, data download, account deletion ----------------


def header_avatar(page):  # type: ignore[no-untyped-def]
    return page.locator("header [data-testid=avatar]").first


def test_an_uploaded_picture_is_cropped_square_and_a_colour_takes_its_place_again(browser, mail_site) -> None:
    from io import BytesIO

    from PIL import Image

    server, _outbox = mail_site
    ctx, page = new_page(browser, server, viewport=SIZES["desktop"])
    picture = Path(tempfile.mkdtemp(prefix="parley-avatar-")) / "wide.png"
    # A wide picture: red left and right, blue in the middle (the square that is kept).
    img = Image.new("RGB", (600, 300), (220, 30, 30))
    img.paste((30, 60, 220), (150, 0, 450, 300))
    img.save(picture)
    try:
        sign_up(page, unique("pia"))
        assert header_avatar(page).evaluate("el => el.tagName") == "SPAN"  # a colour and an initial
        page.goto("/account")
        page.get_by_test_id("avatar-file").set_input_files(str(picture))
        preview = page.get_by_test_id("avatar-preview")
        preview.wait_for()
        # The preview is the square the server will keep.
        assert preview.evaluate("el => el.naturalWidth > 0 && el.naturalWidth === el.naturalHeight")
        page.get_by_test_id("avatar-upload").click()
        page.wait_for_function(
            "() => document.querySelector('header [data-testid=avatar]')?.tagName === 'IMG'", timeout=15_000
        )
        src = header_avatar(page).get_attribute("src") or ""
        assert src.startswith("/api/v1/avatars/"), src
        served = page.request.get(src)
        assert served.ok
        kept = Image.open(BytesIO(served.body()))
        assert kept.format == "PNG"
        assert kept.width == kept.height  # the centre square, nothing of the sides
        edge = kept.convert("RGB").getpixel((2, kept.height // 2))
        assert isinstance(edge, tuple) and edge[2] > 150 and edge[0] < 100, (
            edge
        )  # blue: the sides are cut off
        shot(page, "profile-picture", "desktop")

        # Back to a bundled colour: the picture is gone from the header.
        page.locator('label.swatch[data-key="fox"]').click()
        page.get_by_test_id("profile-save").click()
        page.get_by_test_id("profile-saved").wait_for()
        page.wait_for_function(
            "() => document.querySelector('header [data-testid=avatar]')?.tagName === 'SPAN'"
        )
        assert page.errors == []
    finally:
        ctx.close()
        shutil.rmtree(picture.parent, ignore_errors=True)


def test_download_my_data_then_delete_the_account_keeping_or_deleting_messages(browser, mail_site) -> None:
    import json

    server, _outbox = mail_site
    ctx_w, witness = new_page(browser, server, viewport=SIZES["desktop"])
    ctx_a, ann = new_page(browser, server, viewport=SIZES["desktop"])
    ctx_c, cy = new_page(browser, server, viewport=SIZES["desktop"])
    kept, gone = unique("kept words "), unique("gone words ")
    try:
        sign_up(witness, unique("wit"))
        ann_name, cy_name = unique("ann"), unique("cy")
        sign_up(ann, ann_name)
        test_browser.send(ann, kept)
        test_browser.sent(ann, kept).wait_for()
        sign_up(cy, cy_name)
        test_browser.send(cy, gone)
        test_browser.sent(cy, gone).wait_for()
        test_browser.sent(witness, gone).wait_for()

        # "Download my data": a JSON file with the profile and the messages written.
        ann.goto("/account")
        with ann.expect_download() as download:
            ann.get_by_test_id("export-data").click()
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert ann_name in json.dumps(data)
        assert kept in json.dumps(data, ensure_ascii=False)

        assert ann.errors == []
        # Delete, keeping the messages: signed out, the message stays under "Deleted user".
        ann.get_by_test_id("delete-account").click()
        ann.get_by_test_id("delete-password").fill(PASSWORD)
        shot(ann, "delete-account", "desktop")
        ann.get_by_test_id("delete-confirm").click()
        ann.wait_for_url("**/login**")
        ann.get_by_test_id("tab-login").wait_for()

        # Delete, deleting the messages.
        cy.goto("/account")
        cy.get_by_test_id("delete-account").click()
        cy.get_by_test_id("delete-messages").check()
        cy.get_by_test_id("delete-password").fill(PASSWORD)
        cy.get_by_test_id("delete-confirm").click()
        cy.wait_for_url("**/login**")

        witness.reload()
        witness.get_by_test_id("composer").wait_for()
        row = test_browser.sent(witness, kept)
        row.wait_for()
        assert row.get_by_test_id("message-author").inner_text() == "Deleted user"
        test_browser.sent(witness, gone).wait_for(state="detached")

        # The old name and password no longer sign in.
        ann.goto("/login")
        sign_in(ann, ann_name, PASSWORD)
        ann.get_by_test_id("form-error").wait_for()
        # No uncaught error as the session ends (a room refresh a frame asked for used to throw a 401).
        assert (ann.errors, cy.errors, witness.errors) == ([], [], [])
    finally:
        ctx_w.close()
        ctx_a.close()
        ctx_c.close()
