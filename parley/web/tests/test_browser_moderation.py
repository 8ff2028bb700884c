"""Moderation and the password form in Chromium (issue 15).

An owner mutes a member from the member list and the member's composer gives way to
"You are muted…" live, then comes back when the mute is lifted; a ban takes them out
and shows in the room's Banned list. A member reports a message from its toolbar; staff
find it in the /moderation queue (desktop and phone, light and dark), open it in
context and delete it, and the reporter sees the tombstone. Someone changes their
password on the account screen, with the errors shown beside the fields.
Screenshots land in artifacts/screenshots/mod-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser_stats import manage
from parley.web.tests.test_browser_ui import (
    DESKTOP,
    PASSWORD,
    PHONE,
    api,
    make_room,
    open_room,
    post,
    sign_up,
)

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

SPAM = "Buy cheap pills at example dot com"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"mod-{name}.png"))


def sign_in(page, username: str) -> None:
    """Sign the page's context in with a session, as the login screen does."""
    r = page.request.post("/api/v1/auth/login", data={"username": username, "password": PASSWORD})
    assert r.ok, r.text()


def member_row(page, username: str):
    return page.locator(f'[data-testid="member-item"][data-username="{username}"]')


def test_an_owner_mutes_and_bans_a_member_from_the_member_list(browser, server: ServerProcess) -> None:
    ctx_o, owner = new_page(browser, server, **DESKTOP)
    ctx_m, member = new_page(browser, server, color_scheme="dark", **PHONE)
    try:
        owner_token = sign_up(owner)
        name = unique("mal")
        member_token = sign_up(member, name)
        room = make_room(owner, owner_token, topic="Town square")
        api(member, member_token, "POST", f"rooms/{room['id']}/join")
        open_room(owner, room["id"])
        open_room(member, room["id"])

        owner.get_by_test_id("toggle-members").click()
        row = member_row(owner, name)
        row.get_by_test_id("member-moderate-toggle").click()
        row.get_by_test_id("mute-10m").click()
        expect(row.get_by_test_id("muted-tag")).to_be_visible()
        note = member.get_by_test_id("room-muted")
        expect(note).to_contain_text("You are muted in this room until")
        expect(member.get_by_test_id("composer")).to_have_count(0)
        shot(member, "muted-phone-dark")
        shot(owner, "members-menu-desktop")

        row.get_by_test_id("member-moderate-toggle").click()
        row.get_by_test_id("unmute").click()
        expect(member.get_by_test_id("composer")).to_be_visible()
        expect(row.get_by_test_id("muted-tag")).to_have_count(0)

        row.get_by_test_id("member-moderate-toggle").click()
        row.get_by_test_id("ban").click()
        owner.get_by_test_id("ban-submit").click()
        expect(member_row(owner, name)).to_have_count(0)
        expect(member.get_by_test_id("composer")).to_have_count(0)
        refused = member.request.post(
            f"/api/v1/rooms/{room['id']}/join", headers={"Authorization": f"Token {member_token}"}
        )
        assert (refused.status, refused.json()["error"]["code"]) == (403, "banned")

        owner.get_by_test_id("room-settings").click()
        ban = owner.locator(f'[data-testid="ban-item"][data-username="{name}"]')
        expect(ban).to_be_visible()
        shot(owner, "banned-list-desktop")
        ban.get_by_test_id("unban").click()
        expect(owner.get_by_test_id("bans-empty")).to_be_visible()
        assert "id" in api(member, member_token, "POST", f"rooms/{room['id']}/join")
        for page in (owner, member):
            assert page.errors == [], page.errors
    finally:
        ctx_o.close()
        ctx_m.close()


@pytest.fixture(scope="module")
def reported(browser, server: ServerProcess) -> Iterator[dict]:
    """A room where a spammer wrote, a member who reported it in the browser, and a staff account."""
    ctx, page = new_page(browser, server, **DESKTOP)
    owner_token = sign_up(page)
    spammer = unique("spam")
    ctx_s, spam_page = new_page(browser, server)
    spammer_token = sign_up(spam_page, spammer)
    ctx_s.close()
    staff = unique("staff")
    ctx_t, staff_page = new_page(browser, server)
    staff_token = sign_up(staff_page, staff)
    ctx_t.close()
    manage(server, "shell", "-c", f"from parley.accounts.models import User; "
           f"User.objects.filter(username='{staff}').update(is_staff=True)")  # fmt: skip
    room = make_room(page, owner_token, name=unique("town"))
    for token in (spammer_token, staff_token):
        api(page, token, "POST", f"rooms/{room['id']}/join")
    post(page, spammer_token, room["id"], SPAM)
    reporter_ctx, reporter = new_page(browser, server, **DESKTOP)
    reporter_token = sign_up(reporter)
    api(reporter, reporter_token, "POST", f"rooms/{room['id']}/join")
    open_room(reporter, room["id"])
    msg = reporter.locator('[data-testid="message"]', has=reporter.get_by_text(SPAM, exact=True))
    spam_id = msg.get_attribute("data-id")
    msg.hover()
    msg.get_by_test_id("action-report").click()
    form = reporter.get_by_test_id("report-form")
    form.get_by_test_id("report-send").click()
    expect(form).to_contain_text("Choose a reason.")
    form.get_by_test_id("report-spam").check()
    form.get_by_test_id("report-text").fill("Third time today")
    shot(reporter, "report-dialog-desktop")
    form.get_by_test_id("report-send").click()
    expect(form).to_have_count(0)
    expect(reporter.get_by_text("Thank you. Staff will look at your report.")).to_be_visible()
    yield {"room": room, "staff": staff, "reporter": reporter, "spam_id": spam_id}
    # Nothing of this module's stays open in the queue the session's server shares.
    queue = api(page, staff_token, "GET", "reports")["results"]
    for left in (r for r in queue if r["room"]["id"] == room["id"]):
        api(page, staff_token, "POST", f"reports/{left['id']}/resolve", {"action": "dismiss"})
    assert reporter.errors == [], reporter.errors
    reporter_ctx.close()
    ctx.close()


def own_report(page, reported: dict):
    """This module's report in the queue, whatever other tests left open on the shared server."""
    return page.locator('[data-testid="report-item"]', has_text=reported["room"]["name"])


@pytest.mark.parametrize(("width", "scheme"), [(390, "dark"), (1280, "light")])
def test_staff_see_the_report_in_the_queue(
    browser, server: ServerProcess, reported, width: int, scheme: str
) -> None:
    args = PHONE if width == 390 else DESKTOP
    ctx, page = new_page(browser, server, color_scheme=scheme, **args)
    try:
        sign_in(page, reported["staff"])
        page.goto("/")
        page.get_by_test_id("moderation-link").click()
        page.wait_for_url("**/moderation")
        item = own_report(page, reported)
        expect(item.get_by_test_id("report-excerpt")).to_have_text(SPAM)
        expect(item).to_contain_text("Spam or advertising")
        expect(item).to_contain_text("Third time today")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        shot(page, f"queue-{scheme}-{width}")
        assert page.errors == [], page.errors
    finally:
        ctx.close()


def test_staff_open_a_report_in_context_and_delete_the_message(
    browser, server: ServerProcess, reported
) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        sign_in(page, reported["staff"])
        page.goto("/moderation")
        item = own_report(page, reported)
        item.get_by_test_id("report-context").click()
        shown = item.locator(f'[data-testid="context-message"][data-id="{reported["spam_id"]}"]')
        expect(shown).to_contain_text(SPAM)
        expect(shown).to_have_class("msg reported")
        page.once("dialog", lambda d: d.accept())
        item.get_by_test_id("resolve-delete_message").click()
        expect(item).to_have_count(0)  # other tests' reports may still be open on this server
        shot(page, "queue-resolved-desktop")
        gone = reported["reporter"].locator(f'[data-testid="message"][data-id="{reported["spam_id"]}"]')
        expect(gone.get_by_test_id("message-deleted")).to_have_text("message deleted")
        assert page.errors == [], page.errors
    finally:
        ctx.close()


def test_a_member_sees_staff_only_on_the_queue(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        sign_up(page)
        page.goto("/moderation")
        expect(page.get_by_test_id("moderation-forbidden")).to_contain_text("Staff only")
        assert page.get_by_test_id("moderation-link").count() == 0
    finally:
        ctx.close()


@pytest.mark.parametrize(("width", "scheme"), [(390, "dark"), (1280, "light")])
def test_the_account_screen_changes_the_password(
    browser, server: ServerProcess, width: int, scheme: str
) -> None:
    new = "a brand new passphrase 77"
    ctx, page = new_page(browser, server, color_scheme=scheme, **(PHONE if width == 390 else DESKTOP))
    try:
        name = unique("pw")
        sign_up(page, name)
        page.goto("/account")
        form = page.get_by_test_id("password-form")
        form.get_by_test_id("password-old").fill("not my password at all")
        form.get_by_test_id("password-new").fill(new)
        form.get_by_test_id("password-confirm").fill(new)
        form.get_by_test_id("password-save").click()
        # The server checks the password with argon2, slow on purpose: a loaded machine (CI runs
        # two suites at once on two cores) takes longer than the default five seconds.
        expect(form.get_by_test_id("error-old_password")).to_have_text("Wrong password.", timeout=20_000)
        form.get_by_test_id("password-old").fill(PASSWORD)
        form.get_by_test_id("password-confirm").fill(new + "x")
        form.get_by_test_id("password-save").click()
        expect(form.get_by_test_id("error-confirm")).to_have_text("The two new passwords differ.")
        form.get_by_test_id("password-new").fill("short")
        form.get_by_test_id("password-confirm").fill("short")
        form.get_by_test_id("password-save").click()
        expect(form.get_by_test_id("error-new_password")).not_to_be_empty(timeout=20_000)
        assert form.get_by_test_id("password-error").count() == 0  # field errors stay beside their fields
        form.scroll_into_view_if_needed()
        shot(page, f"password-error-{scheme}-{width}")
        form.get_by_test_id("password-new").fill(new)
        form.get_by_test_id("password-confirm").fill(new)
        form.get_by_test_id("password-save").click()
        expect(form.get_by_test_id("password-done")).to_be_visible(timeout=20_000)
        shot(page, f"password-done-{scheme}-{width}")
        # Still signed in here; the new password signs in, the old one no longer does.
        assert page.request.get("/api/v1/me").ok
        fresh = page.context.browser.new_context(base_url=server.url, locale="en-US")
        try:
            assert not fresh.request.post(
                "/api/v1/auth/login", data={"username": name, "password": PASSWORD}
            ).ok
            assert fresh.request.post("/api/v1/auth/login", data={"username": name, "password": new}).ok
        finally:
            fresh.close()
        assert page.errors == [], page.errors
    finally:
        ctx.close()
