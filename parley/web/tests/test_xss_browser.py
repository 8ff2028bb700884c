"""The XSS corpus through the real web client: every place user text appears, in Chromium.

The 53 payloads of `xss_payloads.txt` go in, over REST, as room names, room topics,
guest nicknames and message bodies. A member (the rooms' owner) and two guests then
open the lobby, the rooms (messages, members panel) and search results, and we check:

- no `dialog` fired and the canary `window.__xss` the payloads set is still undefined;
- the DOM holds no element the payloads would create (no `on*` attribute anywhere, no
  `src="x"`/`javascript:` URL, no script/iframe/svg/object/... inside the app);
- the payload text is shown as text, character for character.

The browser contexts bypass the CSP on purpose: the CSP (no inline script) is a second
line of defence, and with it in force a payload rendered as HTML might stay inert and the
canary would prove nothing. Here only the client's rendering stands between the payload
and the page. No request may leave the server's origin (`example.invalid` payloads).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from parley.messaging.search_text import document_terms, query_terms
from parley.testing.live import ServerProcess
from parley.testing.remote import PASSWORD, RemoteUser
from parley.web.tests.test_browser import browser, new_page, server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PAYLOADS = [
    line for line in (Path(__file__).with_name("xss_payloads.txt")).read_text().splitlines() if line.strip()
]
NAME_MAX, TOPIC_MAX, NICK_MAX = 64, 250, 24
ROOMS_WITH_MESSAGES = 2  # the client shows the latest 50 messages: keep each room below that

# Elements none of the client's templates renders inside #app (but its own icons: inline SVG
# marked `data-icon`); any of them there came from a payload parsed as HTML.
FOREIGN_TAGS = [
    "script", "iframe", "frame", "object", "embed", "svg", "math", "base", "meta", "link",
    "video", "audio", "source", "marquee", "details", "isindex", "x", "noscript", "table", "style",
    "template",
]  # fmt: skip

# Scans the whole document. Returns what a payload parsed as HTML would leave behind.
DOM_SCAN = """(foreign) => {
  const found = [];
  const urlAttrs = ['src', 'href', 'action', 'formaction', 'data', 'background', 'poster',
                    'srcdoc', 'srcset', 'xlink:href', 'style', 'content'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.toLowerCase().replace(/\\s+/g, '');
      if (name.startsWith('on')) found.push(`<${tag} ${name}>`);
      else if (urlAttrs.includes(name) && (value.includes('__xss') || value.startsWith('javascript:')
               || (name === 'src' && (value === 'x' || value.startsWith('x:')))))
        found.push(`<${tag} ${name}="${a.value}">`);
    }
    if (tag === 'script' && (el.textContent || '').includes('__xss')) found.push('<script>__xss');
  }
  const app = document.getElementById('app') || document.body;
  // The client's own icons are inline SVG marked `data-icon` in its templates (no payload of
  // the corpus carries that attribute, and one that did would still be caught by its handlers).
  for (const el of app.querySelectorAll(foreign.join(',')))
    if (!(el.tagName.toLowerCase() === 'svg' && el.hasAttribute('data-icon')))
      found.push(`<${el.tagName.toLowerCase()}> in #app`);
  return found;
}"""


@dataclass
class Corpus:
    owner: RemoteUser
    owner_cookies: list[dict[str, str]]
    rooms: list[dict[str, Any]] = field(default_factory=list)  # one per payload: name + topic
    guests: list[dict[str, Any]] = field(default_factory=list)  # user, cookies, room, body
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def room_ids(self) -> list[int]:
        return [r["id"] for r in self.rooms]


def fit(text: str, limit: int, taken: set[str], tag: str) -> tuple[str, bool]:
    """`text` as the server normalises names, cut to `limit`, made unique (case-insensitively)."""
    text = " ".join(text.split())
    cut = text[:limit]
    if cut.lower() in taken:
        cut = text[: limit - len(tag) - 1] + " " + tag
    taken.add(cut.lower())
    return cut, cut == text


def cookies_of(response: httpx.Response, url: str) -> list[dict[str, str]]:
    return [{"name": k, "value": v, "url": url} for k, v in response.cookies.items()]


@pytest.fixture(scope="module")
def corpus(server: ServerProcess) -> Iterator[Corpus]:  # noqa: F811
    base = server.url
    clients: list[RemoteUser] = []
    with httpx.Client(base_url=base + "/api/v1/", timeout=10) as anon:
        username = f"xss{uuid.uuid4().hex[:8]}"
        r = anon.post("auth/register", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        owner = RemoteUser(base, username, r.json()["token"], r.json()["user"])
        clients.append(owner)
        corpus = Corpus(owner, cookies_of(r, base))
        # Room names and topics: one room per payload.
        taken: set[str] = set()
        names_full = topics_full = 0
        run = uuid.uuid4().hex[:4]
        for i, payload in enumerate(PAYLOADS):
            name, full = fit(payload, NAME_MAX, taken, f"{run}{i}")
            names_full += full
            topic = payload.strip()[:TOPIC_MAX]
            topics_full += topic == payload
            room = owner.create_room(name, topic=topic)
            assert room["name"] == name and room["topic"] == topic, (room, name, topic)
            corpus.rooms.append(room)
        # Nicknames and bodies: one guest per payload, with that payload as nickname
        # and as the body it sends, spread over the first rooms.
        nicks: set[str] = set()
        nicks_full = 0
        for i, payload in enumerate(PAYLOADS):
            anon.cookies.clear()
            full = False
            for attempt in range(3):  # a nickname may be taken by another test's user
                nick, full = fit(payload, NICK_MAX, nicks, f"{run}{i}{attempt or ''}")
                r = anon.post("auth/guest", json={"nickname": nick})
                if r.status_code != 400:
                    break
            r.raise_for_status()
            nicks_full += full
            body = r.json()
            guest = RemoteUser(base, body["user"]["username"], body["token"], body["user"])
            clients.append(guest)
            room = corpus.rooms[i % ROOMS_WITH_MESSAGES]
            guest.join(room["id"])
            sent = guest.http.post(f"rooms/{room['id']}/messages", json={"body": payload})
            sent.raise_for_status()
            assert sent.json()["body"] == payload
            assert body["user"]["display_name"] == nick
            corpus.guests.append(
                {"user": body["user"], "cookies": cookies_of(r, base), "room": room["id"], "body": payload}
            )
    n = len(PAYLOADS)
    corpus.counts = {
        "room name": {"payloads": n, "verbatim": names_full},
        "room topic": {"payloads": n, "verbatim": topics_full},
        "guest nickname": {"payloads": n, "verbatim": nicks_full},
        "message body": {"payloads": n, "verbatim": n},
    }
    print("\nXSS corpus placed:", corpus.counts)
    yield corpus
    for c in clients:
        c.http.close()


@pytest.fixture
def viewer(browser: Any, server: ServerProcess) -> Iterator[Any]:  # noqa: F811
    """Opens pages that watch for dialogs, page errors and requests leaving the origin."""
    opened: list[Any] = []

    def open_as(cookies: list[dict[str, str]]) -> Any:
        context, page = new_page(browser, server, bypass_csp=True, viewport={"width": 1280, "height": 900})
        context.add_cookies(cookies)
        page.dialogs = []
        page.outside = []

        def on_dialog(d: Any) -> None:
            page.dialogs.append(d.message)
            d.dismiss()

        def leave_origin(route: Any) -> None:
            page.outside.append(route.request.url)
            route.abort()

        page.on("dialog", on_dialog)
        context.route(lambda url: not url.startswith(server.url), leave_origin)
        opened.append(context)
        return page

    yield open_as
    for context in opened:
        context.close()


def assert_clean(page: Any, where: str) -> None:
    # Nothing may run: no event says "no handler will fire", so onerror/onload/ontoggle handlers
    # of anything that was parsed get a window to fire in.
    page.wait_for_timeout(300)
    found = page.evaluate(DOM_SCAN, FOREIGN_TAGS)
    assert found == [], f"{where}: payload markup in the DOM: {found}"
    assert page.evaluate("typeof window.__xss") == "undefined", f"{where}: a payload ran"
    assert page.dialogs == [], f"{where}: dialogs {page.dialogs}"
    assert page.outside == [], f"{where}: requests left the origin: {page.outside}"
    assert page.errors == [], f"{where}: page errors {page.errors}"


def texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).evaluate_all("els => els.map(e => e.textContent)")]


def open_lobby(page: Any, corpus: Corpus) -> None:
    page.goto("/")
    page.get_by_test_id("lobby").wait_for()
    page.wait_for_function(
        'ids => ids.every(id => document.querySelector(`[data-testid=room-item][data-room-id="${id}"]`))',
        arg=corpus.room_ids(),
    )


def check_lobby(page: Any, corpus: Corpus, who: str) -> None:
    open_lobby(page, corpus)
    shown = page.locator('[data-testid="room-item"]').evaluate_all(
        """els => Object.fromEntries(els.map(e => [e.dataset.roomId, [
            e.dataset.roomName,
            e.querySelector('.room-name').textContent,
            e.querySelector('.room-topic')?.textContent ?? null,
        ]]))"""
    )
    for room in corpus.rooms:
        data_name, name, topic = shown[str(room["id"])]
        assert data_name == room["name"]
        assert " ".join(name.split()).endswith(room["name"]), (name, room["name"])
        assert (topic or "").strip() == room["topic"]
    assert_clean(page, f"lobby ({who})")


def check_room(page: Any, corpus: Corpus, room_id: int, who: str, members: bool = False) -> int:
    room = next(r for r in corpus.rooms if r["id"] == room_id)
    guests = [g for g in corpus.guests if g["room"] == room_id]
    page.goto(f"/rooms/{room_id}")
    page.get_by_test_id("composer").wait_for()
    page.locator('[data-testid="message"][data-state="sent"]').nth(len(guests) - 1).wait_for()
    assert texts(page, '[data-testid="message-body"]') == [g["body"].strip() for g in guests]
    assert texts(page, '[data-testid="message-author"]') == [g["user"]["display_name"] for g in guests]
    assert page.get_by_test_id("room-topic-display").text_content().strip() == room["topic"]
    assert room["name"] in page.get_by_test_id("room-title").text_content()
    if members:
        page.get_by_test_id("toggle-members").click()
        page.get_by_test_id("member-item").nth(len(guests)).wait_for()
        shown = " ".join(texts(page, '[data-testid="member-item"]'))
        for g in guests:
            assert g["user"]["display_name"] in shown
    assert_clean(page, f"room {room_id} ({who})")
    return len(guests)


def test_the_xss_corpus_renders_as_text_everywhere(viewer: Any, corpus: Corpus) -> None:
    rendered: dict[str, int] = {}

    # A member: the owner of every payload room, with the messages in the first rooms.
    owner = viewer(corpus.owner_cookies)
    check_lobby(owner, corpus, "owner")
    rendered["lobby: names+topics"] = len(corpus.rooms)
    bodies = 0
    for room in corpus.rooms[:ROOMS_WITH_MESSAGES]:
        bodies += check_room(owner, corpus, room["id"], "owner", members=True)
    rendered["room: bodies+authors+members"] = bodies
    assert bodies == len(PAYLOADS)
    # A few payloads found by Playwright's text engine, as a user would see them.
    for body in (PAYLOADS[1], PAYLOADS[5]):
        room_id = next(g["room"] for g in corpus.guests if g["body"] == body)
        owner.goto(f"/rooms/{room_id}")
        in_list = owner.get_by_test_id("message-list").get_by_text(body, exact=True)
        in_list.wait_for()
        assert in_list.count() == 1

    # Search: the query is a payload, the results' highlight segments are text.
    searched = 0
    for q in ('<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>", "javascript:"):
        terms = query_terms(q)  # the search analyzer's words: every one must be in the body
        expected = sorted(
            g["body"].strip() for g in corpus.guests if set(terms) <= set(document_terms(g["body"]).split())
        )
        assert expected, q
        owner.goto(f"/search?q={quote(q)}")
        owner.get_by_test_id("search-result").nth(len(expected) - 1).wait_for()
        assert sorted(texts(owner, '[data-testid="search-result"] .text')) == expected
        marked = texts(owner, '[data-testid="search-result"] .text strong')
        assert marked and all(query_terms(m)[0] in terms for m in marked)
        assert owner.get_by_test_id("search-input").input_value() == q
        assert_clean(owner, f"search {q!r}")
        searched += len(expected)
    rendered["search results"] = searched

    # Guests: their own payload nickname in the header, the lobby (joined and
    # discoverable payload rooms), and their room.
    for i in range(ROOMS_WITH_MESSAGES):
        guest = corpus.guests[i]
        page = viewer(guest["cookies"])
        check_lobby(page, corpus, f"guest {i}")
        assert guest["user"]["display_name"] in page.get_by_test_id("current-user").text_content()
        check_room(page, corpus, guest["room"], f"guest {i}")
    print("\nXSS corpus rendered as text:", rendered, "placed:", corpus.counts)


# --- Markdown ---------------------------------------------------------------------------------
# Bodies are Markdown (issue 12): payloads aimed at the parser. Their text changes when they
# render (emphasis markers go), so they are checked by what the DOM may hold, not verbatim.
# Where a payload ends up inside a link's href (percent-encoded, harmless), its canary is
# spelt window['__x'+'ss'] so that DOM_SCAN's "__xss in a URL" check does not flag the
# encoded text; a quote breaking out of the attribute would still leave an on* attribute.
MARKDOWN_PAYLOADS = [
    "[click](javascript:window.__xss=1)",
    "[click](JaVaScRiPt:window.__xss=1)",
    "[click](  javascript:window.__xss=1  )",
    "[click](<javascript:window.__xss=1>)",
    "[click](java\tscript:window.__xss=1)",
    "[click](&#106;avascript:window.__xss=1)",
    "[click](javascript&#58;window.__xss=1)",
    "[click](%6Aavascript:window.__xss=1)",
    "[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "[click](data:text/html,<script>window.__xss=1</script>)",
    "[click](vbscript:window.__xss=1)",
    "[click](file:///etc/passwd)",
    '[click](https://example.org/ "t" onclick="window.__xss=1")',
    "[click](https://example.org/\"onclick=\"window['__x'+'ss']=1)",
    "[x]: javascript:window.__xss=1\n\n[x]",
    "[![x](https://example.invalid/x.png)](javascript:window.__xss=1)",
    "![x](https://example.invalid/pixel.png)",
    "![x](javascript:window.__xss=1)",
    "<javascript:window.__xss=1>",
    "<https://example.org/\"onmouseover=\"window['__x'+'ss']=1\">",
    "https://example.org/\"onmouseover=\"window['__x'+'ss']=1\"",
    "https://example.org/'onmouseover='window.__xss=1'",
    "https://example.com，<img src=x onerror=window.__xss=1>",  # noqa: RUF001 - a CJK comma ends the URL
    "**<script>window.__xss=1</script>**",
    '*<img src=x onerror="window.__xss=1">*',
    '~~<svg onload="window.__xss=1">~~',
    "*_**~~<script>window.__xss=1</script>~~**_*",
    '***<iframe src="javascript:window.parent.__xss=1"></iframe>***',
    '**[<img src=x onerror="window.__xss=1">](https://example.org/)**',
    '`<img src=x onerror="window.__xss=1">`',
    "``<script>window.__xss=1</script>``",
    "```html\n<script>window.__xss=1</script>\n<img src=x onerror=window.__xss=1>\n```",
    '```js\n</code></pre><img src=x onerror="window.__xss=1">\n```',
    '```"><img src=x onerror=window.__xss=1>\nx\n```',
    '```javascript\nwindow.__xss=1 // "><svg onload=window.__xss=1>\n```',
    '> <img src=x onerror="window.__xss=1">',
    "- <script>window.__xss=1</script>\n- [x](javascript:window.__xss=1)",
    '1. <a href="javascript:window.__xss=1">x</a>',
    '<a href="javascript:window.__xss=1">*x*</a>',
    '<div onclick="window.__xss=1">\n\n**x**\n\n</div>',
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "@admin <script>window.__xss=1</script>",
    "\\<img src=x onerror=window.__xss=1\\>",
    "<mailto:x@example.org?body=<script>window.__xss=1</script>>",
]

# What a message body may hold: the Markdown renderer's elements, nothing else.
BODY_SCAN = """(allowed) => {
  const found = [];
  for (const body of document.querySelectorAll('[data-testid="message-body"]')) {
    for (const el of body.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (!allowed.includes(tag)) found.push(`<${tag}>`);
      for (const a of el.attributes) {
        if (!['class', 'href', 'target', 'rel', 'start', 'data-testid', 'data-lang', 'data-highlighted']
              .includes(a.name) && !a.name.startsWith('data-v-')) found.push(`<${tag} ${a.name}>`);
      }
      if (tag === 'a' && !/^(https?:|mailto:)/.test(el.getAttribute('href') || ''))
        found.push(`<a href="${el.getAttribute('href')}">`);
    }
  }
  return found;
}"""
BODY_TAGS = ["p", "strong", "em", "s", "code", "pre", "span", "a", "ul", "ol", "li", "blockquote"]


def test_markdown_payloads_render_only_the_renderers_elements(viewer: Any, server: ServerProcess) -> None:  # noqa: F811
    assert len(MARKDOWN_PAYLOADS) < 50  # one page of history
    with httpx.Client(base_url=server.url + "/api/v1/", timeout=10) as anon:
        username = f"md{uuid.uuid4().hex[:8]}"
        r = anon.post("auth/register", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        author = RemoteUser(server.url, username, r.json()["token"], r.json()["user"])
        cookies = cookies_of(r, server.url)
    try:
        room = author.create_room(f"markdown-{uuid.uuid4().hex[:6]}")
        for body in MARKDOWN_PAYLOADS:
            sent = author.http.post(f"rooms/{room['id']}/messages", json={"body": body})
            sent.raise_for_status()
            assert sent.json()["body"] == body  # stored as written
    finally:
        author.http.close()
    page = viewer(cookies)
    page.goto(f"/rooms/{room['id']}")
    page.locator('[data-testid="message"][data-state="sent"]').nth(len(MARKDOWN_PAYLOADS) - 1).wait_for()
    # Code blocks are highlighted by a lazily loaded chunk: wait for it to have run.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=code-block][data-lang=html]')]"
        ".every(e => e.dataset.highlighted === 'true')"
    )
    assert_clean(page, "markdown payloads")
    assert page.evaluate(BODY_SCAN, BODY_TAGS) == []
    bodies = texts(page, '[data-testid="message-body"]')
    assert len(bodies) == len(MARKDOWN_PAYLOADS)
    # The script text of a fenced block is shown as code, and refused links stay as typed.
    fence = next(i for i, b in enumerate(MARKDOWN_PAYLOADS) if b.startswith("```html"))
    assert "<script>window.__xss=1</script>" in bodies[fence]
    assert bodies[0] == "[click](javascript:window.__xss=1)"
    hrefs = page.locator('[data-testid="message-body"] a').evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all(h.startswith(("https://example.", "mailto:")) for h in hrefs), hrefs
