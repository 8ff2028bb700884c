"""REST rate limits per address and per user, counted in the shared cache.

Every scope has one rate (`THROTTLE_RATES` in settings, from THROTTLE_* variables)
applied twice: to the client address (honouring only TRUSTED_PROXIES) and, when
signed in, to the user. With REDIS_URL the cache is Redis, so all processes count
together. A refusal is a 429 in the error shape with `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from parley.common import mail
from parley.common.clientip import client_ip


class _Scoped(SimpleRateThrottle):
    scope_kind = ""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(self.scope or "")


class AddressThrottle(_Scoped):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:{self.scope}:a:{client_ip(request._request)}"


class UserThrottle(_Scoped):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return f"throttle:{self.scope}:u:{user.pk}"


class TargetThrottle(_Scoped):
    """Counted per target, whoever calls: the view's `throttle_target(request)` names it
    (an incoming webhook, whose secret URL is the only credential)."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:{self.scope}:t:{view.throttle_target(request)}"


class RecipientThrottle(_Scoped):
    """Counted per mail recipient (case-folded), whoever asks and from wherever: the view's
    `mail_recipient(request)` names it. Every mail a stranger can make Parley send to an
    address is counted under this one scope (jobs count through `mail.recipient_take`, on
    the same key), so changing accounts, addresses or letter case buys no more mail."""

    def __init__(self) -> None:
        super().__init__(mail.RECIPIENT_SCOPE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        address = view.mail_recipient(request) or ""
        return mail.recipient_key(address) if address.strip() else None


class AddressFailures:
    """Failures per client address under a scope: only a failure counts, and an address that
    had its share is refused before its next attempt is even checked. For a credential in a
    URL (an incoming webhook's secret): wrong guesses cost the guesser, never the owner."""

    def __init__(self, scope: str):
        self.throttle = AddressThrottle(scope)
        self.limit, self.period = self.throttle.parse_rate(self.throttle.rate)

    def _history(self, request: Request) -> tuple[str | None, list[float], float]:
        now = self.throttle.timer()
        if self.limit is None or self.period is None:
            return None, [], now
        key = self.throttle.get_cache_key(request, None)
        history = [at for at in self.throttle.cache.get(key, []) if at > now - self.period]
        return key, history, now

    def wait(self, request: Request) -> float | None:
        """Seconds to wait when the address has failed too often; None when it may try."""
        key, history, now = self._history(request)
        if key is None or self.period is None or len(history) < (self.limit or 0):
            return None
        return max(1.0, self.period - (now - history[-1]))

    def record(self, request: Request) -> None:
        key, history, now = self._history(request)
        if key is not None:
            history.insert(0, now)
            self.throttle.cache.set(key, history, self.period)


def throttles(scope: str) -> list[SimpleRateThrottle]:
    """The throttles of one scope, for an APIView's `get_throttles`."""
    return [AddressThrottle(scope), UserThrottle(scope)]


class ScopedThrottleMixin:
    """Throttle the methods named in `throttled_methods` under `throttle_scope`."""

    throttle_scope = ""
    throttled_methods: tuple[str, ...] = ("POST",)

    def get_throttles(self) -> list[Any]:
        if getattr(self, "request").method in self.throttled_methods:  # noqa: B009 - set by APIView
            return throttles(self.throttle_scope)
        return []


class MailThrottleMixin:
    """An endpoint that mails someone: its scope per address and per user, and the shared
    per-recipient count, taken only when `mail_recipient(request)` names an address (a request
    that will send no mail costs nothing)."""

    throttle_scope = ""

    def mail_recipient(self, request: Request) -> str:
        raise NotImplementedError

    def get_throttles(self) -> list[Any]:
        request = getattr(self, "request")  # noqa: B009 - set by APIView
        if request.method not in ("POST", "PATCH") or not self.mail_recipient(request).strip():
            return []
        return [*throttles(self.throttle_scope), RecipientThrottle()]
