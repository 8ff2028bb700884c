"""Staff manage people in Chromium (issue 31), on a site whose sign-up is by invitation only.

A superuser invites someone by email from the People screen; the invited person opens the
mailed link on a phone (a second browser context), picks a username and password and lands
in the main room; staff deactivate them while their room is open, and their page signs out
at once saying why; staff reactivate them and they sign in again. The sign-in page offers
neither sign-up nor guests here. Screenshots of the People screen at 1280 and 360 px land in
docs/screenshots/people-*.png (nothing may be wider than a 360 px phone).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, unavailable
from parley.web.tests import test_browser
from parley.web.tests.test_browser import new_page, unique
from parley.web.tests.test_browser_account import link_in_mail, on, sign_in
from parley.web.tests.test_browser_narrow import header_overflow
from parley.web.tests.test_browser_stats import manage

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser

SITE = "http://parley.test"
DOCS = ROOT / "docs" / "screenshots"
ADMIN, ADMIN_PASSWORD = "boss", "a long admin passphrase 42"
PASSWORD = "a long enough passphrase 42"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


@pytest.fixture(scope="module")
def invite_site() -> Iterator[tuple[ServerProcess, Path]]:
    """A server of its own, REGISTRATION=invite, whose mail lands as files in a folder."""
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    outbox = Path(tempfile.mkdtemp(prefix="parley-mail-"))
    try:
        with private_database("sqlite") as db:
            env = base_env(db, EMAIL_URL=f"filemail://{outbox}", SITE_URL=SITE, REGISTRATION="invite")
            migrate(env)
            server = ServerProcess(env).start()
            try:
                manage(
                    server,
                    "createsuperuser",
                    "--noinput",
                    DJANGO_SUPERUSER_USERNAME=ADMIN,
                    DJANGO_SUPERUSER_EMAIL="boss@example.org",
                    DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
                )
                yield server, outbox
            finally:
                server.stop()
    finally:
        shutil.rmtree(outbox, ignore_errors=True)


def fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert header_overflow(page, width) == []


def test_staff_invite_deactivate_and_reactivate_someone(browser, invite_site) -> None:  # type: ignore[no-untyped-def]
    server, outbox = invite_site
    ctx, staff = new_page(browser, server, **DESKTOP)
    ctx_p, person = new_page(browser, server, **PHONE)
    staff.on("dialog", lambda dialog: dialog.accept())
    name = unique("ines")
    address = f"{name}@example.org"
    try:
        # Invitation only: the sign-in page offers neither sign-up nor guests, and says why.
        person.goto("/login")
        expect(person.get_by_test_id("join-note")).to_contain_text("invitation only")
        expect(person.get_by_test_id("tab-register")).to_have_count(0)
        expect(person.get_by_test_id("tab-guest")).to_have_count(0)

        staff.goto("/login")
        sign_in(staff, ADMIN, ADMIN_PASSWORD)
        staff.get_by_test_id("people-link").click()
        staff.get_by_test_id("people").wait_for()
        staff.get_by_test_id("invite-email").fill(address)
        staff.get_by_test_id("invite-submit").click()
        expect(staff.get_by_test_id("invite-sent")).to_contain_text(address)
        expect(staff.get_by_test_id("invitation-item")).to_contain_text(address)

        # The invited person opens the mailed link on a phone and creates the account.
        link = link_in_mail(outbox, address, "/invitation")
        assert link.startswith(f"{SITE}/invitation?token="), link
        person.goto(on(server, link))
        expect(person.get_by_test_id("invitation-lead")).to_contain_text(address)
        expect(person.get_by_test_id("invitation-lead")).to_contain_text(ADMIN)
        person.get_by_test_id("invitation-username").fill(name)
        person.get_by_test_id("invitation-password").fill(PASSWORD)
        DOCS.mkdir(parents=True, exist_ok=True)
        person.screenshot(path=str(DOCS / "people-invitation-phone-360.png"))
        fits(person, 360)
        person.get_by_test_id("invitation-submit").click()
        person.get_by_test_id("composer").wait_for()  # the main room, open

        # A second use of the link is refused, saying why.
        ctx_x, stranger = new_page(browser, server, **PHONE)
        try:
            stranger.goto(on(server, link))
            expect(stranger.get_by_test_id("invitation-dead")).to_contain_text("used already")
        finally:
            ctx_x.close()

        # Staff find them, with their sign-in, and deactivate them: their page signs out at once.
        staff.reload()
        staff.get_by_test_id("people-search").fill(name)
        row = staff.locator(f'[data-testid="person-item"][data-username="{name}"]')
        expect(row).to_have_count(1)
        expect(staff.get_by_test_id("person-item")).to_have_count(1)
        expect(row.get_by_test_id("person-last-sign-in")).to_contain_text("New account")
        row.get_by_test_id("person-sign-ins").click()
        expect(row.get_by_test_id("person-sign-in")).to_have_count(1)
        expect(row.get_by_test_id("person-sign-in")).to_contain_text("Chrome")
        row.get_by_test_id("person-deactivate").click()
        expect(row).to_have_attribute("data-active", "false")
        expect(person.get_by_test_id("signed-out-reason")).to_contain_text("deactivated", timeout=5_000)
        assert "/login" in person.url

        # Reactivated, they sign in again.
        row.get_by_test_id("person-reactivate").click()
        expect(row).to_have_attribute("data-active", "true")
        sign_in(person, name, PASSWORD)
        person.get_by_test_id("account-link").wait_for()

        # The People screen at desktop and phone width (docs).
        staff.get_by_test_id("people-search").fill("")
        expect(staff.get_by_test_id("person-item")).to_have_count(2)
        staff.get_by_test_id("people-search").blur()
        while staff.locator(".notices .notice button").count():
            staff.locator(".notices .notice button").first.click()
        expect(staff.locator(".notices .notice")).to_have_count(0)
        staff.screenshot(path=str(DOCS / "people-desktop-1280.png"), full_page=True)
        fits(staff, 1280)
        ctx_n, narrow = new_page(browser, server, **PHONE)
        try:
            narrow.goto("/login")
            sign_in(narrow, ADMIN, ADMIN_PASSWORD)
            narrow.get_by_test_id("account-link").wait_for()
            narrow.goto("/people")
            expect(narrow.get_by_test_id("person-item")).to_have_count(2)
            narrow.screenshot(path=str(DOCS / "people-phone-360.png"), full_page=True)
            fits(narrow, 360)
            assert narrow.errors == [], narrow.errors
        finally:
            ctx_n.close()

        # Their account page: how they sign in and this device.
        person.goto("/account")
        expect(person.get_by_test_id("sign-in-method")).to_have_attribute("data-kind", "password")
        expect(person.get_by_test_id("this-device")).to_have_count(1)
        person.get_by_test_id("account-sign-in").scroll_into_view_if_needed()
        person.screenshot(path=str(DOCS / "people-account-devices-phone-360.png"))
        fits(person, 360)
        assert staff.errors == [] and person.errors == [], (staff.errors, person.errors)
    finally:
        ctx.close()
        ctx_p.close()


def test_a_member_is_told_the_people_screen_is_for_staff(browser, invite_site) -> None:  # type: ignore[no-untyped-def]
    server, _outbox = invite_site
    ctx, page = new_page(browser, server, **PHONE)
    try:
        name = unique("mo")
        manage(
            server,
            "shell",
            "-c",
            "from parley.actions.onboarding import account_register; "
            f"account_register(username='{name}', password='{PASSWORD}')",
        )
        page.goto("/login")
        sign_in(page, name, PASSWORD)
        page.get_by_test_id("account-link").wait_for()
        expect(page.get_by_test_id("people-link")).to_have_count(0)
        page.goto("/people")
        expect(page.get_by_test_id("people-forbidden")).to_be_visible()
    finally:
        ctx.close()
