"""The README's pictures, taken from a live server so that they show the client as it ships.

One scene, set up through the public API: Mei, Jun and Sora plan a release in a room.
Mei mentions Sora, Jun answers with a highlighted code block, Mei shares a chart as an
image, Jun replies to Mei's message, people react, and Sora (the viewer) edits what she
said. The test checks that each thing the pictures promise is on screen, then captures:

- the room at 1280 px in the light theme (the README's first picture);
- the lobby and the room at 390 px in the dark theme (the phone pictures).

They always land in `artifacts/screenshots/readme-*.png`; with `PARLEY_README_SHOTS=1`
they also replace the files in `docs/screenshots/` that README.md shows.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import uuid

import pytest

from parley.testing.live import ROOT, ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, sent, unique
from parley.web.tests.test_browser_ui import DESKTOP, PASSWORD, PHONE, api, make_room, open_room, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

README_SHOTS = ROOT / "docs" / "screenshots"
CODE = "```python\nfor room in rooms:\n    room.migrate(batch=500)\n```"


def chart_png() -> bytes:
    """A small bar chart, drawn with Pillow (the server's own image library)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 180), "#f7f8fb")
    draw = ImageDraw.Draw(img)
    bars = [40, 62, 95, 80, 120, 140, 112, 155]
    for i, h in enumerate(bars):
        x = 30 + i * 55
        draw.rectangle([x, 165 - h, x + 36, 165], fill="#4f46e5" if i != 7 else "#16a34a")
    draw.line([20, 165, 460, 165], fill="#334155", width=2)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def say(page, token: str, room_id: int, body: str, **extra) -> dict:
    data = {"body": body, "client_id": uuid.uuid4().hex, **extra}
    return api(page, token, "POST", f"rooms/{room_id}/messages", data)


def person(browser, server: ServerProcess, handle: str, shown: str, **context_args):
    """A signed-in person named `handle` (with a suffix when the suite's server has one already)."""
    ctx, page = new_page(browser, server, **context_args)
    r = page.request.post("/api/v1/auth/register", data={"username": handle, "password": PASSWORD})
    username = handle if r.ok else unique(handle)
    token = str(r.json()["token"]) if r.ok else sign_up(page, username)
    api(page, token, "PATCH", "me", {"display_name": shown})
    return ctx, page, token, username


def room_named(page, token: str, name: str, topic: str) -> dict:
    taken = any(r["name"] == name for r in api(page, token, "GET", "rooms"))  # every public room
    return make_room(page, token, name=unique(f"{name}-") if taken else name, topic=topic)


def loaded(page) -> None:
    """The chart's thumbnail is on screen and drawn (not an empty frame in the picture)."""
    image = page.get_by_test_id("attachment-image").locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def save(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"readme-{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("PARLEY_README_SHOTS") == "1":
        shutil.copyfile(path, README_SHOTS / f"{name}.png")


def test_readme_pictures_show_every_message_feature(browser, server: ServerProcess) -> None:
    ctx_m, mei, mei_token, _ = person(browser, server, "mei", "Mei Lin", **DESKTOP)
    ctx_j, jun, jun_token, _ = person(browser, server, "jun", "Jun Park", **DESKTOP)
    ctx_s, sora, sora_token, sora_name = person(browser, server, "sora", "Sora Tanaka", **DESKTOP)
    ctx_p = phone = None
    try:
        room = room_named(mei, mei_token, "launch-plan", "Friday's release")
        for page, token in ((jun, jun_token), (sora, sora_token)):
            api(page, token, "POST", f"rooms/{room['id']}/join")
        room_named(sora, sora_token, "design-review", "Mock-ups and reviews")
        rid = room["id"]

        ask = say(
            mei,
            mei_token,
            rid,
            f"The **release checklist** is up. @{sora_name} can you check the migration step?",
        )
        code = say(jun, jun_token, rid, f"Ran it on staging:\n{CODE}\nAll green ✅")
        upload = mei.request.post(
            f"/api/v1/rooms/{rid}/uploads",
            headers={"Authorization": f"Token {mei_token}"},
            multipart={"file": {"name": "load-test.png", "mimeType": "image/png", "buffer": chart_png()}},
        )
        assert upload.status == 201, upload.text()
        say(
            mei,
            mei_token,
            rid,
            "Last night's load test: _p99 flat_ at 1,000 members",
            attachments=[upload.json()["id"]],
        )
        say(jun, jun_token, rid, "I'll take the rollback plan.", reply_to=ask["id"])
        api(jun, jun_token, "POST", f"messages/{ask['id']}/reactions/👍")
        for page, token in ((mei, mei_token), (sora, sora_token)):
            api(page, token, "POST", f"messages/{code['id']}/reactions/🎉")

        open_room(sora, rid)
        sora.get_by_test_id("composer").fill("On it, looks good")
        sora.get_by_test_id("send-button").click()
        draft = sent(sora, "On it, looks good")
        expect(draft).to_have_attribute("data-id", re.compile(r"^\d+$"))
        mine = sora.locator(f'[data-testid="message"][data-id="{draft.get_attribute("data-id")}"]')
        mine.hover()
        mine.get_by_test_id("action-edit").click()
        sora.get_by_test_id("edit-input").fill("On it: the migration step looks good")
        sora.get_by_test_id("edit-input").press("Enter")

        # What the pictures promise, on Sora's screen.
        expect(mine.get_by_test_id("message-edited")).to_be_visible()
        expect(sora.locator('[data-testid="message"].mentioned')).to_have_count(1)
        expect(sora.locator(".mention", has_text=f"@{sora_name}")).to_be_visible()
        expect(sora.get_by_test_id("code-block")).to_have_attribute("data-highlighted", "true")
        expect(sora.get_by_test_id("reply-quote")).to_contain_text("Mei Lin")
        expect(sora.locator('[data-testid="reaction"][data-emoji="🎉"] .chip-count')).to_have_text("2")
        loaded(sora)
        sora.mouse.move(700, 760)  # no toolbar from a hover in the picture
        save(sora, "room-light-1280")

        ctx_p, phone = new_page(browser, server, color_scheme="dark", **PHONE)
        phone.request.post("/api/v1/auth/login", data={"username": sora_name, "password": PASSWORD})
        phone.goto("/")
        phone.get_by_test_id("lobby").wait_for()
        expect(phone.locator(f'[data-testid="room-item"][data-room-name="{room["name"]}"]')).to_be_visible()
        save(phone, "lobby-dark-390")
        open_room(phone, rid)
        loaded(phone)
        save(phone, "room-dark-390")
        for page in (mei, jun, sora, phone):
            assert page.errors == [], page.errors
    finally:
        for ctx in (ctx_m, ctx_j, ctx_s, ctx_p):
            if ctx is not None:
                ctx.close()
