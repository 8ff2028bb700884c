"""The LDAP backend as configured (config/settings.py): the accounts' backend, whose new
accounts also take their seat in the main room, in the transaction that creates them (as a
registration's do, parley.actions.onboarding)."""

from __future__ import annotations

from parley.accounts.ldap_backend import LdapBackend
from parley.accounts.models import User
from parley.rooms import services as rooms


class DirectoryBackend(LdapBackend):
    def account_created(self, user: User) -> None:
        rooms.main_room_join(user=user)
