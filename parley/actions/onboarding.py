"""A new account: the account (accounts) and its seat in the main room (rooms), together."""

from __future__ import annotations

from django.db import transaction

from parley.accounts import invitations
from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.rooms import services as rooms


def account_register(
    *,
    username: str,
    password: str,
    email: str = "",
    language: str | None = None,
    time_zone: str = "",
    invitation: str = "",
) -> User:
    """Register and join the main room in one transaction: no account ever exists outside it.
    With an `invitation` token the invitation is used up by it and its address becomes the
    account's, verified (`parley.accounts.invitations.invitation_use`)."""
    if invitation:
        invitations.invitation_preview(token=invitation)  # a dead link is refused before the names
        email = ""
    with transaction.atomic():
        user = accounts.user_register(
            username=username, password=password, email=email, language=language, time_zone=time_zone
        )
        if invitation:
            invitations.invitation_use(token=invitation, user=user)
        rooms.main_room_join(user=user)
    return user


def guest_register(
    *, nickname: str, avatar: str | None = None, language: str | None = None, time_zone: str = ""
) -> User:
    """A guest, in the main room from the start (one transaction)."""
    with transaction.atomic():
        user = accounts.guest_create(nickname=nickname, avatar=avatar, language=language, time_zone=time_zone)
        rooms.main_room_join(user=user)
    return user
