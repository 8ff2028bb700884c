"""A new account: the account (accounts) and its seat in the main room (rooms), together."""

from __future__ import annotations

from django.db import transaction

from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.rooms import services as rooms


def account_register(
    *, username: str, password: str, email: str = "", language: str | None = None, time_zone: str = ""
) -> User:
    """Register and join the main room in one transaction: no account ever exists outside it."""
    with transaction.atomic():
        user = accounts.user_register(
            username=username, password=password, email=email, language=language, time_zone=time_zone
        )
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
