"""Link previews: which links of a body get a card, and what a page says of itself.

Everything here happens off the send path (a job: `tasks.message_previews`). A page is
fetched through `parley.common.safefetch` (public addresses only, the address pinned,
every redirect checked again as a new request), with a timeout on each wait, a deadline on
the whole answer and a cap on the bytes read: a 50 MB page costs LINK_PREVIEW_MAX_BYTES of
memory and the rest is never read. Its OpenGraph, Twitter card, `<title>` and description
are read with Beautiful Soup (the stdlib html.parser backend). The picture it names is
fetched under the same rules, decoded within the bound of `parley.common.images`, made a
small WebP and stored: Parley serves it, readers never load the remote one (no tracking).

The send schedules the job through a port (`provide_scheduler`, filled by
`MessagingConfig.ready()` with the task's launcher), since services sit below tasks.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, SoupStrainer
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from parley.common import images, safefetch
from parley.uploads.storage import upload_storage

log = logging.getLogger(__name__)

# A link as people paste them: up to whitespace or a character URLs leave out; trailing
# punctuation of the sentence is not part of it.
_LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_~"
_REDIRECTS = {301, 302, 303, 307, 308}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_BOX = (600, 600)
IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
TITLE_MAX, DESCRIPTION_MAX, SITE_MAX = 300, 500, 100
USER_AGENT = "Parley-LinkPreview/1 (+https://github.com/parley-chat)"


def _trim(link: str) -> str:
    while link and link[-1] in _TRAILING:
        link = link[:-1]
    # A closing bracket belongs to the link only when it opened one: "(see https://x/a)".
    for close, opening in ((")", "("), ("]", "[")):
        while link.endswith(close) and link.count(close) > link.count(opening):
            link = link[:-1]
    return link


def links(body: str, limit: int | None = None) -> list[str]:
    """The first `limit` (LINK_PREVIEW_LINKS) distinct http(s) links of a body, in order.

    Links inside code (between backticks) are left out: code is not shared to be previewed."""
    limit = settings.LINK_PREVIEW_LINKS if limit is None else limit
    text = re.sub(r"```.*?```|`[^`\n]*`", " ", body, flags=re.DOTALL)
    found: list[str] = []
    seen: set[str] = set()
    for match in _LINK.finditer(text):
        link = _trim(match.group(0))
        try:
            key = normalise(link)
        except ValueError:
            continue
        if key in seen:
            continue
        seen.add(key)
        found.append(link)
        if len(found) >= limit:
            break
    return found


def maybe_has_links(body: str) -> bool:
    """A cheap test the send makes before it schedules anything."""
    return "http" in body.lower() and _LINK.search(body) is not None


def normalise(url: str) -> str:
    """One spelling per page: scheme and host lower-case, no default port, no fragment, "/"
    for an empty path. Raises ValueError for what is not an http(s) URL with a host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    return hashlib.sha256(normalise(url).encode()).hexdigest()


@dataclass(frozen=True)
class Page:
    """What a page says of itself; `image` is the stored WebP's name, or ""."""

    title: str
    description: str
    site_name: str
    image: str

    @property
    def found(self) -> bool:
        return bool(self.title or self.description)


class Skipped(Exception):
    """No preview for this URL (refused, failed, not HTML, too large): `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _get(url: str, *, max_bytes: int) -> tuple[str, safefetch.Fetched]:
    """GET `url`, following at most LINK_PREVIEW_REDIRECTS redirects, each one checked as a
    new URL (a redirect into a private address is refused like a link to one). Returns the
    final URL and its answer; raises Skipped."""
    deadline = time.monotonic() + settings.LINK_PREVIEW_DEADLINE
    for _hop in range(settings.LINK_PREVIEW_REDIRECTS + 1):
        try:
            answer = safefetch.fetch(
                "GET",
                url,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,image/*;q=0.8,*/*;q=0.5"},
                timeout=settings.LINK_PREVIEW_TIMEOUT,
                max_bytes=max_bytes,
                allow_loopback=settings.LINK_PREVIEW_ALLOW_PRIVATE,
                deadline=deadline,
            )
        except safefetch.Refused as exc:
            raise Skipped(f"refused: {exc.reason}") from exc
        except (OSError, ValueError) as exc:  # timeouts, resets, protocol errors
            raise Skipped(f"network: {exc}") from exc
        if answer.status in _REDIRECTS and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])
            continue
        if answer.status != 200:
            raise Skipped(f"status {answer.status}")
        return url, answer
    raise Skipped("too many redirects")


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _clean(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse(html: bytes, *, url: str, content_type: str = "") -> tuple[str, str, str, str]:
    """(title, description, site name, image URL) from a page's markup: OpenGraph first,
    then the Twitter card, then `<title>` and `<meta name=description>`. Only the head's
    tags are kept while parsing (a strainer), so a long body costs little."""
    head_end = re.search(rb"</head\s*>", html, re.IGNORECASE)
    if head_end is not None:
        html = html[: head_end.end()]
    soup = BeautifulSoup(
        html, "html.parser", parse_only=SoupStrainer(["meta", "title"]), from_encoding=_charset(content_type)
    )
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("property") or tag.get("name") or "").strip().lower()
        value = tag.get("content")
        if key and isinstance(value, str) and key not in meta:
            meta[key] = value
    title_tag = soup.find("title")
    title = meta.get("og:title") or meta.get("twitter:title") or (title_tag.get_text() if title_tag else "")
    description = meta.get("og:description") or meta.get("twitter:description") or meta.get("description")
    image = (
        meta.get("og:image:secure_url")
        or meta.get("og:image")
        or meta.get("og:image:url")
        or meta.get("twitter:image")
        or meta.get("twitter:image:src")
        or ""
    )
    site = meta.get("og:site_name") or (urlsplit(url).hostname or "")
    image_url = urljoin(url, image.strip()) if image.strip() else ""
    return (
        _clean(title, TITLE_MAX),
        _clean(description, DESCRIPTION_MAX),
        _clean(site, SITE_MAX),
        image_url,
    )


def _image(url: str) -> str:
    """Fetch, check and shrink the page's picture; the stored WebP's name, or "" when there
    is none to show (refused, too large, not a picture, too many pixels)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return ""
    cap = settings.LINK_PREVIEW_IMAGE_MAX_BYTES
    try:
        _final, answer = _get(url, max_bytes=cap + 1)
    except Skipped as exc:
        log.info("link preview image %s skipped: %s", url, exc.reason)
        return ""
    if len(answer.body) > cap:
        log.info("link preview image %s skipped: larger than %s bytes", url, cap)
        return ""
    try:
        frame = images.small_copy(io.BytesIO(answer.body), IMAGE_BOX, formats=IMAGE_FORMATS)
        out = io.BytesIO()
        frame.save(out, format="WEBP", quality=80, method=4)
    except Exception as exc:  # a hostile picture must not crash the job
        log.info("link preview image %s skipped: %s", url, exc)
        return ""
    return upload_storage().save(
        f"previews/{hashlib.sha256(url.encode()).hexdigest()[:32]}.webp", ContentFile(out.getvalue())
    )


def fetch_page(url: str) -> Page:
    """Fetch `url` and read its preview; raises Skipped when there is none."""
    final, answer = _get(url, max_bytes=settings.LINK_PREVIEW_MAX_BYTES)
    content_type = answer.headers.get("content-type", "")
    if not content_type.lower().startswith(_HTML_TYPES):
        raise Skipped(f"not HTML: {content_type[:60]}")
    title, description, site, image_url = parse(answer.body, url=final, content_type=content_type)
    if not (title or description):
        raise Skipped("no title or description")
    return Page(title, description, site, _image(image_url) if image_url else "")


# --- The port through which a send schedules the job (filled by MessagingConfig.ready()) ---

Scheduler = Callable[[int], None]
_scheduler: list[Scheduler] = []


def provide_scheduler(schedule: Scheduler) -> None:
    """Called once by the app's AppConfig.ready with what starts the job for a message."""
    _scheduler[:] = [schedule]


def schedule_after_commit(message_ids: list[int]) -> None:
    """Start the previews job for these messages once the send commits."""
    if not _scheduler or not message_ids:
        return
    schedule = _scheduler[0]
    transaction.on_commit(lambda: [schedule(pk) for pk in message_ids])
