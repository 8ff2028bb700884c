"""Every password check goes through one door: signing in, and the current-password checks
of `me/password` and `DELETE me`. So every wrong password counts toward the same limits:

- django-axes, per username and client address (`AXES_FAILURE_LIMIT` in `AXES_COOLOFF_MINUTES`);
- per client address across usernames (`THROTTLE_LOGIN_FAIL`): one address cannot try a few
  passwords on every account it can name.

A caller that is over either limit is refused (429 with Retry-After) before its password is
even checked.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from parley.accounts.models import User
from parley.common.throttles import AddressFailures

FAILURES_SCOPE = "login_fail"


class LockedOut(Throttled):
    """429 with Retry-After, in the API's error shape. A lockout by django-axes is answered
    by its middleware instead (`parley.accounts.throttling.lockout_response`)."""


def _cool_off_seconds(request: Request) -> float:
    cool_off = get_cool_off(request._request)
    return cool_off.total_seconds() if cool_off else 900.0


def password_check(request: Request, *, username: str, password: str) -> User | None:
    """The user `username` names when `password` is theirs, else None (the failure counted).
    Raises LockedOut while this address, or this username from this address, is locked."""
    failures = AddressFailures(FAILURES_SCOPE)
    wait = failures.wait(request)
    if wait is not None:
        raise LockedOut(wait=wait)
    user = authenticate(request._request, username=username, password=password)
    if getattr(request._request, "axes_locked_out", False):
        raise LockedOut(wait=_cool_off_seconds(request))
    if user is None:
        failures.record(request)
        return None
    assert isinstance(user, User)
    return user


def current_password_check(request: Request, *, user: User, password: str) -> bool:
    """Whether `password` is the signed-in user's own (guests have none): counted like a
    sign-in, so a stolen session cannot guess the password faster than a stranger could."""
    if user.is_guest:
        return False
    found = password_check(request, username=user.get_username(), password=password)
    return found is not None and found.pk == user.pk
