"""Status, do-not-disturb and away, and each person's presence (issue 30).

A person's state is one of `online`, `away`, `dnd`, `offline`, worked out when it is read
(never stored): `offline` without a socket anywhere; else `dnd` while `dnd_until` is in
the future; else `away` when set by hand or idle for `AWAY_AFTER` (the runtime's
presence tracker knows who is online and who is idle, across processes); else `online`.
An expired status or do-not-disturb reads as gone at once; `presence_expire` (a periodic
job) clears the columns and tells everyone, so clients that did not time it themselves
see it go.

Every change reaches every socket as one `presence` frame of that person (a lobby frame:
one publish whatever the number of rooms), as `user.updated` does for a name. Push
notifications read `serializers.dnd_until` (docs/decisions.md, "Status, do-not-disturb
and read receipts").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import emoji as emoji_data
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import STATUS_TEXT_MAX, User
from parley.accounts.serializers import dnd_until, status_data
from parley.common.errors import Invalid
from parley.common.i18n import interpolate
from parley.realtime import protocol, publish, runtime

# Do-not-disturb and a status's end, at most this far ahead.
LONGEST = timedelta(days=366)
_VS16 = "\ufe0f"


def presence_sets() -> tuple[frozenset[int], frozenset[int]]:
    """(online, idle) user ids, from this process's runtime (cached for a second)."""
    tracker = runtime.current().presence
    return tracker.online_user_ids(), tracker.idle_user_ids()


def presence_state(user: User, *, online: frozenset[int], idle: frozenset[int], now: datetime) -> str:
    if user.pk not in online:
        return "offline"
    if dnd_until(user, now) is not None:
        return "dnd"
    if user.away or user.pk in idle:
        return "away"
    return "online"


def presence_data(
    user: User, *, online: frozenset[int], idle: frozenset[int], now: datetime
) -> dict[str, Any]:
    """A person as `UserPresenceOut`."""
    return {
        "user_id": user.pk,
        "state": presence_state(user, online=online, idle=idle, now=now),
        "status": status_data(user, now),
    }


def presence_of(users: Iterable[User]) -> dict[int, dict[str, Any]]:
    """`UserPresenceOut` of each user (no query: the rows are given)."""
    online, idle = presence_sets()
    now = timezone.now()
    return {u.pk: presence_data(u, online=online, idle=idle, now=now) for u in users}


def presence_announce(*, user_ids: list[int], users: Iterable[User] | None = None) -> None:
    """Tell every socket these people's presence now (after commit when in a transaction)."""
    rows = list(users) if users is not None else list(User.objects.filter(pk__in=user_ids, is_bot=False))
    for data in presence_of(rows).values():
        publish.lobby_frame(frame=protocol.person_presence(presence=data))


# --- changes -------------------------------------------------------------------------------


def _future(value: datetime, *, field: str, now: datetime) -> datetime:
    if value <= now:
        raise Invalid(_("Choose a time in the future."), fields={field: [_("Must be in the future.")]})
    if value > now + LONGEST:
        raise Invalid(
            _("Choose a time within a year."),
            fields={field: [interpolate(_("At most %(days)s days ahead."), {"days": LONGEST.days})]},
        )
    return value


def clean_status_emoji(value: str) -> str:
    """One Unicode emoji (skin tones and ZWJ sequences included), or empty."""
    value = value.strip()
    if not value:
        return ""
    if not emoji_data.is_emoji(value) and _VS16 in value:
        value = value.replace(_VS16, "")
    if not emoji_data.is_emoji(value):
        raise Invalid(_("That is not an emoji."), fields={"status.emoji": [_("Use a single Unicode emoji.")]})
    return value


def clean_status_text(value: str) -> str:
    value = " ".join(value.split())  # one line: newlines and runs of spaces become one space
    if len(value) > STATUS_TEXT_MAX:
        raise Invalid(
            _("The status is too long."),
            fields={
                "status.text": [interpolate(_("At most %(count)s characters."), {"count": STATUS_TEXT_MAX})]
            },
        )
    return value


def status_fields(
    user: User,
    *,
    status: dict[str, Any] | None,
    now: datetime,
) -> list[str]:
    """Set the user's status from `{emoji, text, expires_at}` (None, or neither emoji nor
    text, clears it); returns the changed columns."""
    emoji, text, expires = "", "", None
    if status is not None:
        emoji = clean_status_emoji(status.get("emoji") or "")
        text = clean_status_text(status.get("text") or "")
        expires = status.get("expires_at")
        if expires is not None:
            expires = _future(expires, field="status.expires_at", now=now)
        if not emoji and not text:
            expires = None
    changed = []
    for name, value in (("status_emoji", emoji), ("status_text", text), ("status_expires_at", expires)):
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    return changed


def dnd_fields(user: User, *, until: datetime | None, now: datetime) -> list[str]:
    value = None if until is None else _future(until, field="dnd_until", now=now)
    if user.dnd_until == value:
        return []
    user.dnd_until = value
    return ["dnd_until"]


def presence_expire(*, now: datetime | None = None) -> list[int]:
    """Clear the statuses and do-not-disturbs that ran out, and tell everyone (the periodic
    job `presence-expire`). Each row is cleared by one conditional UPDATE: when several
    processes run this at once, exactly one clears a row and announces it."""
    now = now or timezone.now()
    due = list(
        User.objects.filter(Q(status_expires_at__lte=now) | Q(dnd_until__lte=now)).values_list(
            "pk", flat=True
        )[:1000]
    )
    cleared: list[int] = []
    for pk in due:
        with transaction.atomic():
            status = User.objects.filter(pk=pk, status_expires_at__lte=now).update(
                status_emoji="", status_text="", status_expires_at=None
            )
            dnd = User.objects.filter(pk=pk, dnd_until__lte=now).update(dnd_until=None)
            if status or dnd:
                cleared.append(pk)
    if cleared:
        presence_announce(user_ids=cleared)
    return cleared
