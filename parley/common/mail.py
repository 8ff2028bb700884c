"""Mail from Django templates: `mail/<name>.txt` and `mail/<name>.html`, a subject from
`mail/<name>.subject.txt`, sent through the backend EMAIL_URL chose."""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_supported_language_variant


def site_link(path: str) -> str:
    """An absolute link into Parley for a mail (SITE_URL + path)."""
    return f"{settings.SITE_URL}{path}"


RECIPIENT_SCOPE = "mail_recipient"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def recipient_key(address: str) -> str:
    """The cache key counting mail to one mailbox, case-folded (REST throttles share it:
    `parley.common.throttles.RecipientThrottle`)."""
    return f"throttle:{RECIPIENT_SCOPE}:t:{address.strip().casefold()}"


def recipient_take(address: str) -> bool:
    """Count one mail to `address` under THROTTLE_MAIL_RECIPIENT; False (nothing counted)
    when that mailbox had its share. For jobs that look the recipient up themselves (a
    password reset names an account, not an address)."""
    rate = settings.THROTTLE_RATES.get(RECIPIENT_SCOPE)
    if not rate or not address.strip():
        return True
    count, _sep, period = rate.partition("/")
    limit, duration = int(count), _PERIODS[period[0]]
    key = recipient_key(address)
    now = time.time()
    history = [at for at in cache.get(key, []) if at > now - duration]
    if len(history) >= limit:
        return False
    cache.set(key, [now, *history], duration)
    return True


def _language(code: str) -> str:
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    time_zone: str = "UTC",
    headers: dict[str, str] | None = None,
) -> None:
    """Render and send one mail in the RECIPIENT's saved language and time zone: mail is
    built by jobs and by other people's requests, whose own language says nothing of theirs."""
    context = {"site_url": settings.SITE_URL, **context}
    try:
        zone = ZoneInfo(time_zone)
    except (ValueError, KeyError, OSError):
        zone = ZoneInfo("UTC")
    with translation.override(_language(language)), timezone.override(zone):
        subject = " ".join(render_to_string(f"mail/{template}.subject.txt", context).split())
        text = render_to_string(f"mail/{template}.txt", context)
        html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    message.send()
