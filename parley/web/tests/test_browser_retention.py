"""Retention per room and the room export in Chromium (issue 32).

The owner sets the room's retention in its settings, then exports the room: the dialog
shows the job's progress, then a download link, and the file downloaded is the room's
JSON. A member (on a phone, dark) reads the policy in the member panel. Screenshots go to
docs/screenshots/export-*.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.testing.live import ROOT, ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, post, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]
DOC_SHOTS = ROOT / "docs" / "screenshots"


def shot(page, name: str, *, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOC_SHOTS / f"export-{name}.png"), full_page=full)


def test_the_owner_sets_retention_and_exports_and_a_member_sees_it(browser, server: ServerProcess) -> None:
    ctx_o, owner = new_page(browser, server, **DESKTOP)
    ctx_m, member = new_page(browser, server, color_scheme="dark", **PHONE)
    try:
        owner_token = sign_up(owner)
        member_token = sign_up(member, unique("reader"))
        room = make_room(owner, owner_token, name=unique("ledger"), topic="Quarterly numbers")
        api(member, member_token, "POST", f"rooms/{room['id']}/join")
        for i in range(30):
            post(owner, owner_token, room["id"], f"entry {i}: figures for week {i}")
        post(member, member_token, room["id"], "thanks, all read")

        # The owner: retention in the room's settings.
        open_room(owner, room["id"])
        owner.get_by_test_id("room-settings").click()
        section = owner.get_by_test_id("retention-section")
        expect(section).to_contain_text("Server default (kept forever)")
        owner.get_by_test_id("retention-custom").check()
        owner.get_by_test_id("retention-days").fill("0")
        owner.get_by_test_id("retention-save").click()
        expect(section).to_contain_text("Retention must be between 1 and 3650 days")
        owner.get_by_test_id("retention-days").fill("90")
        owner.get_by_test_id("retention-save").click()
        expect(owner.get_by_test_id("retention-saved")).to_be_visible()
        assert api(owner, owner_token, "GET", f"rooms/{room['id']}")["retention_days"] == 90
        section.scroll_into_view_if_needed()
        shot(owner, "retention-owner-light-1280")

        # The owner: the export, with its progress, then the download.
        owner.get_by_test_id("export-start").click()
        expect(owner.get_by_test_id("export-ready")).to_be_visible()
        owner.get_by_test_id("export-section").scroll_into_view_if_needed()
        shot(owner, "ready-light-1280")
        with owner.expect_download() as download:
            owner.get_by_test_id("export-download").click()
        assert download.value.suggested_filename.startswith(f"parley-{room['name']}-")
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert data["room"]["retention_days"] == 90
        bodies = [m["body"] for m in data["messages"]]
        assert bodies[-2:] == ["entry 29: figures for week 29", "thanks, all read"]

        # A member: the policy in the room's member panel (read-only), on a phone.
        open_room(member, room["id"])
        member.get_by_test_id("room-menu").click()
        member.get_by_test_id("toggle-members").click()
        note = member.get_by_test_id("retention-note")
        expect(note).to_have_text("Messages are kept for 90 days (set by the room's owner)")
        expect(member.get_by_test_id("room-settings")).to_have_count(0)
        expect(member.get_by_test_id("member-item")).to_have_count(2)
        shot(member, "retention-member-dark-390")
        refused = member.request.get(
            f"/api/v1/rooms/{room['id']}/export", headers={"Authorization": f"Token {member_token}"}
        )
        assert (refused.status, refused.json()["error"]["code"]) == (403, "not_owner")
        for page in (owner, member):
            assert page.errors == [], page.errors
    finally:
        ctx_o.close()
        ctx_m.close()
