"""People leaving: a guest signing out or idle, an account deleted. Each ends the person's
memberships (rooms), may delete their messages (messaging) and retires the account
(accounts), in that order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from parley.accounts import profile
from parley.accounts import services as accounts
from parley.accounts.models import AuthToken, User
from parley.messaging import services as messaging
from parley.messaging import threads
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.rooms.models import Membership, Room

DELETE_BATCH = 500


def guest_remove(*, user: User) -> None:
    """Remove a guest: leave every room (closing those it owns), end its logins and sockets."""
    with transaction.atomic():
        rooms.user_memberships_end(user=user)
        accounts.guest_deactivate(user=user)


def sign_out(*, user: User, token: AuthToken | None, session_key: str | None) -> None:
    """End one login. A guest cannot sign in again (no password), so signing out removes the
    guest and frees the nickname."""
    if user.is_guest:
        guest_remove(user=user)
    else:
        accounts.logout(user=user, token=token, session_key=session_key)


def _guests_idle_since(*, cutoff: datetime) -> Iterator[User]:
    """Active guests who have neither signed in nor sent a message since `cutoff`."""
    recent = Message.objects.filter(sender=OuterRef("pk"), created_at__gte=cutoff)
    return (
        User.objects.filter(is_guest=True, is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .exclude(Exists(recent))
        .iterator()
    )


def guests_remove_idle(*, idle_days: float, online: frozenset[int] = frozenset()) -> int:
    """Remove the guests not seen for `idle_days` (no sign-in, no message) and not online now."""
    cutoff = timezone.now() - timedelta(days=idle_days)
    removed = 0
    for user in _guests_idle_since(cutoff=cutoff):
        if user.pk in online:
            continue
        guest_remove(user=user)
        removed += 1
    return removed


def account_delete(*, user: User, password: str | None, messages: Literal["keep", "delete"]) -> None:
    """Delete the account: every login and socket ends, the username is freed.

    With `messages="delete"` each message is deleted through the message service first, so
    members see tombstones and the log is rewritten as for any deletion. Rooms the user
    owns pass to their longest-standing active member, or close when none is left; then
    the row is anonymised (`profile.account_anonymise`), and so are the copies of it in the
    thread summaries of threads they replied in."""
    profile.account_delete_check(user=user, password=password, messages=messages)
    if messages == "delete":
        _messages_delete(user)
    with transaction.atomic():
        for room in Room.objects.filter(owner=user, closed_at__isnull=True).order_by("pk"):
            heir = (
                Membership.objects.filter(room=room, user__is_active=True)
                .exclude(user=user)
                .order_by("joined_at", "pk")
                .first()
            )
            if heir is not None:
                rooms.room_transfer(room_id=room.pk, actor=user, user_id=heir.user_id)
        rooms.user_memberships_end(user=user)  # closes the rooms nobody could take over
        profile.account_anonymise(user=user)
    threads.participants_refresh(user=user)  # the threads they replied in show the new name


def _messages_delete(user: User) -> None:
    """Delete the user's messages in batches, each through `message_delete` (one room lock and
    one `message.deleted` each), so no transaction holds a room for the whole history."""
    last = 0
    while True:
        ids = list(
            Message.objects.filter(sender=user, pk__gt=last, deleted_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:DELETE_BATCH]
        )
        if not ids:
            return
        for message_id in ids:
            messaging.message_delete(actor=user, message_id=message_id, erasure=True)
        last = ids[-1]
