"""The sign-in log (issue 31): who signed in how, when and from where.

`record_sign_in` is called wherever a login starts (`parley.accounts.api.signed_in`:
password, registration, a guest, an invitation; and the single sign-on, directory and
passkey paths name their own method). Renewing a token is not a sign-in: the same login
goes on, so it is not recorded.

Each account keeps its newest `KEEP` sign-ins; an older row is deleted when a new one is
written, so the table stays bounded without a periodic job. The address is the client's as
`parley.common.clientip` resolves it (X-Forwarded-For only from TRUSTED_PROXIES), the
same address the lockouts count.
"""

from __future__ import annotations

import ipaddress
import re
from importlib import import_module

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from parley.accounts import signout
from parley.accounts.models import AuthToken, SignIn, User
from parley.common.clientip import client_ip
from parley.realtime import publish

KEEP = 50
METHODS = frozenset(SignIn.Method.values)
_UA_MAX = 256


def _address(request: HttpRequest) -> str | None:
    addr = client_ip(request)
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return None


def record_sign_in(
    *, user: User, request: HttpRequest, method: str, token: AuthToken | None = None
) -> SignIn:
    """Log that `user` signed in by `method` (one of `SignIn.Method`), starting the login
    `token` (None: a login without a token row). `request` is Django's (DRF's `._request`)."""
    if method not in METHODS:
        raise ValueError(f"unknown sign-in method {method!r}")
    sign_in = SignIn.objects.create(
        user=user,
        method=method,
        at=timezone.now(),
        ip=_address(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:_UA_MAX],
        token=token,
    )
    keep = list(SignIn.objects.filter(user=user).order_by("-at", "-pk").values_list("pk", flat=True)[:KEEP])
    if len(keep) == KEEP:
        SignIn.objects.filter(user=user).exclude(pk__in=keep).delete()
    return sign_in


# --- what a person reads: "Firefox on Linux" ------------------------------------------------
# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\bFirefox/|\bFxiOS/")),
    ("Chrome", re.compile(r"(?:\b|Headless)Chrome/|\bCriOS/|\bChromium/")),
    ("Safari", re.compile(r"\bSafari/")),
]
_SYSTEMS = [
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\biPhone\b|\biPad\b|\biPod\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMacintosh\b|\bMac OS X\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def device_summary(user_agent: str) -> str:
    """An approximate device from a User-Agent ("Firefox on Linux"); "" when nothing is known.
    Approximate on purpose: a browser says what it likes, and this is a hint for the person
    recognising their own devices, never a check."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    if not browser and user_agent:
        browser = user_agent.split("/", 1)[0].split(" ", 1)[0][:40]
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system


def sessions_end(session_keys: list[str]) -> None:
    """Delete these sessions from the session store (whatever SESSION_ENGINE is), so a login
    ended here does not come back with its cookie (after a reactivation, say)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()


# --- a person's own: "your devices" -----------------------------------------------------------
def current_token_ids(*, user: User, token: AuthToken | None, session_key: str | None) -> set[int]:
    """The token rows of the login making this request (its token, or its session's)."""
    if token is not None:
        return {token.pk}
    if session_key:
        return set(AuthToken.objects.filter(user=user, session_key=session_key).values_list("pk", flat=True))
    return set()


def my_sign_ins(*, user: User) -> list[SignIn]:
    """The account's kept sign-ins, newest first."""
    return list(SignIn.objects.filter(user=user).order_by("-at", "-pk"))


def sign_out_others(*, user: User, token: AuthToken | None, session_key: str | None) -> int:
    """End every login of the account but the one making this request: their tokens (told
    `logged_out` on their next call), the sessions they opened, and their sockets. Returns how
    many logins ended."""
    keep = current_token_ids(user=user, token=token, session_key=session_key)
    others = AuthToken.objects.filter(user=user).exclude(pk__in=keep)
    rows = list(others.values_list("pk", "session_key"))
    if not rows:
        return 0
    sessions = sorted({key for _pk, key in rows if key and key != session_key})
    auth_ids = [f"t:{pk}" for pk, _key in rows] + [f"s:{key}" for key in sessions]
    signout.tokens_end(AuthToken.objects.filter(pk__in=[pk for pk, _key in rows]), signout.LOGGED_OUT)
    sessions_end(sessions)
    publish.user_close(user_id=user.pk, auth_ids=auth_ids, reason=signout.LOGGED_OUT)
    return len(rows)
