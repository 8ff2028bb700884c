"""Link previews against a site this test serves on 127.0.0.1: OpenGraph, title only, nothing,
a 50 MB page, a redirect into a private address, a slow server, a picture too large; one
fetch per URL for all rooms; the author's removal; the room's and the server's switch."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from parley.messaging import linkpreview
from parley.messaging.models import LinkPreview, Message, RoomEvent
from parley.realtime.protocol import server_frame_adapter
from parley.realtime.shapes import MessageOut
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db

HUGE = 50 * 1024 * 1024


def _png(width: int, height: int, color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def _page(head: str) -> bytes:
    return f"<!doctype html><html><head>{head}</head><body><p>Body text.</p></body></html>".encode()


OG = _page(
    '<meta property="og:title" content="The Harbour Guide">'
    '<meta property="og:description" content="Tides, ferries and where to eat.">'
    '<meta property="og:site_name" content="Harbour">'
    '<meta property="og:image" content="/picture.png">'
    "<title>ignored when og:title is there</title>"
)


class Site:
    """A small web site on a thread: path -> handler; counts the requests each path got."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)  # a hang-up by the fetcher (the size cap) is expected

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def html(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        def send(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = send

    def redirect(self, path: str, location: str) -> None:
        def send(h: BaseHTTPRequestHandler) -> None:
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = send


@pytest.fixture
def site(settings: Any, tmp_path: Path) -> Iterator[Site]:
    settings.LINK_PREVIEWS = True  # off in the test settings (no test goes to the network)
    settings.LINK_PREVIEW_ALLOW_PRIVATE = True  # loopback only: the test site
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    s = Site()
    s.html("/og", OG)
    s.html("/picture.png", _png(1200, 630), "image/png")
    s.html("/title-only", _page("<title>  Only\n a title </title>"))
    s.html("/nothing", _page(""))
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture
def room() -> dict[str, Any]:
    owner, member = make_user(), make_user()
    o, m = client_for(owner), client_for(member)
    rid = o.post("/api/v1/rooms", {"name": f"links-{owner.pk}"}, format="json").json()["id"]
    assert m.post(f"/api/v1/rooms/{rid}/join").status_code == 200
    return {"rid": rid, "o": o, "m": m, "owner": owner}


def send(client: Any, rid: int, body: str, capture: Any) -> dict[str, Any]:
    """Send, and run what the commit starts (the previews job, eager in tests)."""
    with capture(execute=True):
        r = client.post(f"/api/v1/rooms/{rid}/messages", {"body": body}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def stored(message_id: int) -> list[dict[str, Any]]:
    return list(Message.objects.get(pk=message_id).previews)


def test_an_opengraph_page_gives_a_card_with_a_picture_parley_serves(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(room["m"], room["rid"], f"Look: {site.base}/og.", django_capture_on_commit_callbacks)
    assert sent["previews"] == []  # the send does not wait for the fetch
    (card,) = stored(sent["id"])
    assert {k: v for k, v in card.items() if k != "image_url"} == {
        "url": f"{site.base}/og",
        "title": "The Harbour Guide",
        "description": "Tides, ferries and where to eat.",
        "site_name": "Harbour",
    }
    assert card["image_url"].startswith("/api/v1/link-previews/") and site.base not in card["image_url"]
    # The update reached the room's log as `message.updated`, in the message's shape.
    event = RoomEvent.objects.filter(room_id=room["rid"], kind="message.updated").get()
    frame = json.loads(event.frame)
    MessageOut.model_validate(frame["message"])
    assert frame["message"]["previews"] == [card]
    # History carries it; the picture is a small WebP served by Parley to any signed-in person.
    history = room["o"].get(f"/api/v1/rooms/{room['rid']}/messages").json()["messages"]
    assert history[-1]["previews"] == [card]
    r = make_client_get(card["image_url"])
    assert r.status_code == 200 and r["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(b"".join(r.streaming_content)))
    assert image.format == "WEBP" and image.size == (600, 315)
    assert client_for().get(card["image_url"]).status_code in (401, 403)
    assert room["o"].get(card["image_url"] + "x").status_code == 404


def make_client_get(url: str) -> Any:
    return client_for(make_user()).get(url)


def test_a_title_alone_is_a_card_and_a_page_with_nothing_is_none(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(
        room["m"],
        room["rid"],
        f"{site.base}/title-only and {site.base}/nothing",
        django_capture_on_commit_callbacks,
    )
    assert stored(sent["id"]) == [
        {
            "url": f"{site.base}/title-only",
            "title": "Only a title",
            "description": "",
            "image_url": None,
            "site_name": "127.0.0.1",
        }
    ]
    assert site.hits["/nothing"] == 1


def test_a_50_mb_page_is_cut_at_the_cap_without_holding_it(
    site: Site, room: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    head = _page("<title>Enormous</title>").split(b"<body>")[0] + b"<body>"

    def huge(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(HUGE))
        h.end_headers()
        h.wfile.write(head)
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        left = HUGE - len(head)
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            h.wfile.write(piece)
            site.sent["/huge"] += len(piece)
            left -= len(piece)

    site.routes["/huge"] = huge
    tracemalloc.start()
    try:
        sent = send(room["m"], room["rid"], f"{site.base}/huge", django_capture_on_commit_callbacks)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [c["title"] for c in stored(sent["id"])] == ["Enormous"]  # read from the first MiB
    time.sleep(0.2)
    assert site.sent["/huge"] < 10 * 1024 * 1024  # the rest was never read
    assert peak < 8 * settings.LINK_PREVIEW_MAX_BYTES, peak


def test_a_redirect_into_a_private_address_is_refused(
    site: Site, room: dict[str, Any], settings: Any
) -> None:
    site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    site.redirect("/to-ten", "http://10.1.2.3/admin")
    site.redirect("/to-og", "/og")
    for path in ("/to-metadata", "/to-ten"):
        with pytest.raises(linkpreview.Skipped) as refused:
            linkpreview.fetch_page(site.base + path)
        assert refused.value.reason == "refused: private"
    # A link straight to one is refused before any connection, loopback allowance or not.
    with pytest.raises(linkpreview.Skipped, match="refused: private"):
        linkpreview.fetch_page("http://192.168.0.1/")
    # The same redirect to a public-rule address is followed (so the refusal above is the rule).
    assert linkpreview.fetch_page(site.base + "/to-og").title == "The Harbour Guide"
    # Loopback itself is refused when the setting is off.
    settings.LINK_PREVIEW_ALLOW_PRIVATE = False
    with pytest.raises(linkpreview.Skipped, match="refused: private"):
        linkpreview.fetch_page(site.base + "/og")


def test_a_slow_server_times_out(site: Site, settings: Any) -> None:
    settings.LINK_PREVIEW_TIMEOUT = 0.3

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(2)
        h.send_response(200)
        h.end_headers()

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        for _ in range(40):
            h.wfile.write(b"<!-- -->")
            h.wfile.flush()
            time.sleep(0.1)

    site.routes["/slow"] = slow
    site.routes["/trickle"] = trickle
    started = time.monotonic()
    with pytest.raises(linkpreview.Skipped, match="network"):
        linkpreview.fetch_page(site.base + "/slow")
    assert time.monotonic() - started < 1.5
    # Each wait is short, but the whole answer is bounded too.
    settings.LINK_PREVIEW_DEADLINE = 0.8
    started = time.monotonic()
    with pytest.raises(linkpreview.Skipped, match="network"):
        linkpreview.fetch_page(site.base + "/trickle")
    assert time.monotonic() - started < 2


def test_a_picture_too_large_leaves_a_card_without_it(site: Site, settings: Any) -> None:
    settings.LINK_PREVIEW_IMAGE_MAX_BYTES = 10_000
    site.html("/big.png", _png(3000, 3000) + b"\0" * 20_000, "image/png")
    site.html("/bomb.png", _png(5000, 5000, "white"), "image/png")
    site.html("/with-big", _page('<title>Big picture</title><meta property="og:image" content="/big.png">'))
    page = linkpreview.fetch_page(site.base + "/with-big")
    assert (page.title, page.image) == ("Big picture", "")
    settings.LINK_PREVIEW_IMAGE_MAX_BYTES = 5_000_000
    settings.IMAGE_DECODE_MAX_PIXELS = 1_000_000  # 25 MP is above the decode bound
    site.html("/with-bomb", _page('<title>Bomb</title><meta property="og:image" content="/bomb.png">'))
    assert linkpreview.fetch_page(site.base + "/with-bomb").image == ""


def test_one_fetch_per_url_for_all_rooms(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    other = room["o"].post("/api/v1/rooms", {"name": f"other-{room['rid']}"}, format="json").json()["id"]
    first = send(room["m"], room["rid"], f"{site.base}/og", django_capture_on_commit_callbacks)
    second = send(
        room["o"],
        other,
        f"again {site.base.upper().replace('HTTP', 'http')}/og#top",
        django_capture_on_commit_callbacks,
    )
    assert (site.hits["/og"], site.hits["/picture.png"]) == (1, 1)
    assert stored(first["id"])[0]["image_url"] == stored(second["id"])[0]["image_url"]
    assert LinkPreview.objects.count() == 1
    # Past LINK_PREVIEW_TTL the page is fetched again.
    LinkPreview.objects.update(fetched_at=LinkPreview.objects.get().fetched_at.replace(year=2000))
    send(room["o"], other, f"{site.base}/og", django_capture_on_commit_callbacks)
    assert site.hits["/og"] == 2


def test_the_author_removes_a_preview(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(
        room["m"], room["rid"], f"{site.base}/og {site.base}/title-only", django_capture_on_commit_callbacks
    )
    assert len(stored(sent["id"])) == 2
    url = f"/api/v1/messages/{sent['id']}/previews/0"
    assert error_of(room["o"].delete(url))["code"] == "not_author"
    assert error_of(room["m"].delete(f"/api/v1/messages/{sent['id']}/previews/5"))["code"] == "no_preview"
    r = room["m"].delete(url)
    assert r.status_code == 200
    assert [c["title"] for c in r.json()["previews"]] == ["Only a title"]
    assert [c["title"] for c in stored(sent["id"])] == ["Only a title"]
    last = json.loads(RoomEvent.objects.filter(room_id=room["rid"]).order_by("-seq").first().frame)  # type: ignore[union-attr]
    assert last["type"] == "message.updated" and len(last["message"]["previews"]) == 1
    # An edit that drops a link drops its card; deleting the message drops them all.
    room["m"].patch(f"/api/v1/messages/{sent['id']}", {"body": "no links now"}, format="json")
    assert stored(sent["id"]) == []


def test_the_room_and_the_server_can_turn_previews_off(
    site: Site, room: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = room["m"].patch(f"/api/v1/rooms/{room['rid']}", {"link_previews": False}, format="json")
    assert r.status_code == 403  # the owner's setting
    r = room["o"].patch(f"/api/v1/rooms/{room['rid']}", {"link_previews": False}, format="json")
    assert r.status_code == 200 and r.json()["link_previews"] is False
    sent = send(room["m"], room["rid"], f"{site.base}/og", django_capture_on_commit_callbacks)
    assert stored(sent["id"]) == [] and site.hits["/og"] == 0
    room["o"].patch(f"/api/v1/rooms/{room['rid']}", {"link_previews": True}, format="json")
    settings.LINK_PREVIEWS = False
    sent = send(room["m"], room["rid"], f"{site.base}/og", django_capture_on_commit_callbacks)
    assert stored(sent["id"]) == [] and site.hits["/og"] == 0


def test_a_send_with_links_costs_no_more_statements(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The send only schedules the job after commit: no statement for the room's setting,
    the cache or the page; the job's own statements come later, off the send path."""
    url = f"/api/v1/rooms/{room['rid']}/messages"
    room["m"].post(url, {"body": "warm up"}, format="json")
    with django_capture_on_commit_callbacks() as plain_jobs, CaptureQueriesContext(connection) as plain:
        assert room["m"].post(url, {"body": "no link here"}, format="json").status_code == 201
    body = f"a link {site.base}/og"
    with django_capture_on_commit_callbacks() as link_jobs, CaptureQueriesContext(connection) as linked:
        assert room["m"].post(url, {"body": body}, format="json").status_code == 201
    assert len(linked) == len(plain), [q["sql"] for q in linked]
    assert len(link_jobs) == len(plain_jobs) + 1  # the previews job, started after commit
    assert site.hits["/og"] == 0  # not run by the send


def test_links_are_found_as_people_write_them() -> None:
    body = (
        "See (https://a.example/x_(y)) and https://b.example/p?q=1, "
        "`https://code.example/` https://a.example/x_(y) https://c.example/. https://d.example/"
    )
    assert linkpreview.links(body) == [
        "https://a.example/x_(y)",
        "https://b.example/p?q=1",
        "https://c.example/",
    ]
    assert linkpreview.normalise("HTTPS://Example.COM:443") == "https://example.com/"


def test_a_flood_of_previews_jobs_is_dropped_not_queued(settings: Any, monkeypatch: Any, caplog: Any) -> None:
    """Without Redis the jobs wait on two threads; past PREVIEWS_QUEUED waiting, a job is
    dropped with a warning instead of joining an endless queue."""
    import threading

    from parley.messaging import tasks

    settings.LINK_PREVIEWS_IN_THREAD, settings.REDIS_URL = True, ""
    full = threading.BoundedSemaphore(1)
    full.acquire()
    monkeypatch.setattr(tasks, "_queued", full)
    submitted: list[int] = []
    monkeypatch.setattr(
        tasks._previews, "get", lambda: type("P", (), {"submit": lambda _s, _f, m: submitted.append(m)})()
    )
    tasks.previews_later(41)
    assert submitted == [] and "skipped" in caplog.text
    full.release()
    tasks.previews_later(42)
    assert submitted == [42]


# --- An edit: the cards of links it adds arrive, kept ones stay, removed ones stay removed ---


def edit(client: Any, message_id: int, body: str, capture: Any) -> tuple[dict[str, Any], int]:
    """Edit, and run what the commit starts; the message as the edit answered, and how many
    previews jobs the edit started."""
    from parley.messaging import tasks

    started: list[int] = []

    def counting(pk: int) -> None:
        started.append(pk)
        tasks.previews_later(pk)

    linkpreview.provide_scheduler(counting)
    try:
        with capture(execute=True):
            r = client.patch(f"/api/v1/messages/{message_id}", {"body": body}, format="json")
    finally:
        linkpreview.provide_scheduler(tasks.previews_later)
    assert r.status_code == 200, r.content
    return r.json(), len(started)


def updates(room_id: int, message_id: int) -> list[dict[str, Any]]:
    """The `message.updated` frames of a message in the room's log (what every reader gets
    live and on resume), in order, each checked against the protocol's declared frames."""
    frames = [
        json.loads(e.frame)
        for e in RoomEvent.objects.filter(
            room_id=room_id, kind="message.updated", message_id=message_id
        ).order_by("seq")
    ]
    for frame in frames:
        server_frame_adapter.validate_python(frame)
    return frames


def test_an_edit_that_adds_a_link_gets_its_card_through_message_updated(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(room["m"], room["rid"], "the guide is coming", django_capture_on_commit_callbacks)
    edited, jobs = edit(
        room["m"], sent["id"], f"the guide: {site.base}/og", django_capture_on_commit_callbacks
    )
    assert edited["previews"] == [] and jobs == 1  # the edit does not wait for the fetch
    (card,) = stored(sent["id"])
    assert (card["url"], card["title"]) == (f"{site.base}/og", "The Harbour Guide")
    # Two frames: the edit's own (no card yet), then the job's with the card, after it.
    mine, job = updates(room["rid"], sent["id"])
    assert mine["message"]["previews"] == [] and job["message"]["previews"] == [card]
    assert job["seq"] > mine["seq"] and job["message"]["body"] == f"the guide: {site.base}/og"
    # Every reader: the other member's history carries it.
    history = room["o"].get(f"/api/v1/rooms/{room['rid']}/messages").json()["messages"]
    assert [m["previews"] for m in history if m["id"] == sent["id"]] == [[card]]


def test_an_edit_costs_no_more_statements_for_a_link(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The edit only schedules the job after commit, like a send: no statement for the room's
    setting, the cache or the page."""
    ids = [
        send(room["m"], room["rid"], f"text {i}", django_capture_on_commit_callbacks)["id"] for i in range(3)
    ]
    url = "/api/v1/messages/{}"
    room["m"].patch(url.format(ids[0]), {"body": "warm up"}, format="json")
    with django_capture_on_commit_callbacks() as plain_jobs, CaptureQueriesContext(connection) as plain:
        assert room["m"].patch(url.format(ids[1]), {"body": "no link"}, format="json").status_code == 200
    body = f"a link {site.base}/og"
    with django_capture_on_commit_callbacks() as link_jobs, CaptureQueriesContext(connection) as linked:
        assert room["m"].patch(url.format(ids[2]), {"body": body}, format="json").status_code == 200
    assert len(linked) == len(plain), [q["sql"] for q in linked]
    assert len(link_jobs) == len(plain_jobs) + 1  # the previews job, started after commit
    assert site.hits["/og"] == 0  # not run by the edit


def test_an_edit_keeps_the_cards_of_links_it_keeps_without_a_refetch(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(room["m"], room["rid"], f"{site.base}/og", django_capture_on_commit_callbacks)
    (og,) = stored(sent["id"])
    # Past the cache's life: a job that fetched the kept link again would hit the site again.
    LinkPreview.objects.update(fetched_at=LinkPreview.objects.get().fetched_at.replace(year=2000))
    edited, jobs = edit(
        room["m"], sent["id"], f"now {site.base}/og, fixed", django_capture_on_commit_callbacks
    )
    assert edited["previews"] == [og] and jobs == 0  # no new link: no job at all
    # A link added before the kept one: its card comes, in the body's order; the kept one is
    # the same card, not fetched again.
    body = f"{site.base}/title-only then {site.base}/og"
    edited, jobs = edit(room["m"], sent["id"], body, django_capture_on_commit_callbacks)
    assert edited["previews"] == [og] and jobs == 1
    assert [c["title"] for c in stored(sent["id"])] == ["Only a title", "The Harbour Guide"]
    assert stored(sent["id"])[1] == og
    assert (site.hits["/og"], site.hits["/picture.png"], site.hits["/title-only"]) == (1, 1, 1)


def test_a_card_the_author_removed_stays_removed_after_edits(
    site: Site, room: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    site.html("/second", _page("<title>Second page</title>"))
    sent = send(
        room["m"], room["rid"], f"{site.base}/og {site.base}/title-only", django_capture_on_commit_callbacks
    )
    assert room["m"].delete(f"/api/v1/messages/{sent['id']}/previews/0").status_code == 200
    assert [c["title"] for c in stored(sent["id"])] == ["Only a title"]
    # An edit adding a link runs the job: the new link gets its card, the removed one does not.
    body = f"{site.base}/og {site.base}/title-only {site.base}/second"
    _edited, jobs = edit(room["m"], sent["id"], body, django_capture_on_commit_callbacks)
    assert jobs == 1
    assert [c["title"] for c in stored(sent["id"])] == ["Only a title", "Second page"]
    # Taking the link out and putting it back does not bring its card back either.
    edit(room["m"], sent["id"], f"{site.base}/title-only", django_capture_on_commit_callbacks)
    _edited, jobs = edit(
        room["m"],
        sent["id"],
        f"{site.base}/title-only {site.base}/og#again",
        django_capture_on_commit_callbacks,
    )
    assert jobs == 0 and [c["title"] for c in stored(sent["id"])] == ["Only a title"]
    assert all("Harbour" not in json.dumps(f) for f in updates(room["rid"], sent["id"])[1:])
    # Deleting the message forgets what was removed along with the rest.
    assert room["m"].delete(f"/api/v1/messages/{sent['id']}").status_code in (200, 204)
    assert Message.objects.get(pk=sent["id"]).previews_removed == []


def test_an_edit_with_previews_off_fetches_nothing(
    site: Site, room: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent = send(room["m"], room["rid"], "soon a link", django_capture_on_commit_callbacks)
    room["o"].patch(f"/api/v1/rooms/{room['rid']}", {"link_previews": False}, format="json")
    edit(room["m"], sent["id"], f"{site.base}/og", django_capture_on_commit_callbacks)
    assert stored(sent["id"]) == [] and site.hits["/og"] == 0
    assert [f["message"]["previews"] for f in updates(room["rid"], sent["id"])] == [[]]  # the edit's own
    room["o"].patch(f"/api/v1/rooms/{room['rid']}", {"link_previews": True}, format="json")
    settings.LINK_PREVIEWS = False
    _edited, jobs = edit(room["m"], sent["id"], f"{site.base}/title-only", django_capture_on_commit_callbacks)
    assert jobs == 0 and stored(sent["id"]) == [] and site.hits["/title-only"] == 0
