"""The search's "From" filter offers the people of the searcher's rooms before any result
shows them (issue 27), and never more: a guest cannot list accounts it shares no room with."""

from __future__ import annotations

import pytest

from parley.accounts.models import User
from parley.rooms import services as rooms
from parley.rooms.services import main_room
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db


def _names(user: User, **params: str | int) -> list[str]:
    r = client_for(user).get("/api/v1/search/senders", params)
    assert r.status_code == 200, r.content
    return sorted(u["username"] for u in r.json()["results"])


def test_from_offers_the_people_of_my_rooms_and_no_one_else() -> None:
    owner, bob, carol = make_user("ss-owner"), make_user("ss-bob"), make_user("ss-carol")
    guest = make_guest("Visitor")
    team = rooms.room_create(owner=owner, name="ss-team", visibility="private")
    rooms.member_add(room_id=team.pk, actor=owner, username="ss-bob")
    general = main_room()
    assert general is not None
    rooms.room_leave(room_id=general.pk, user=carol)  # carol shares no room with the guest

    # Nobody has written yet: the filter still offers the room's people, the searcher too.
    assert _names(owner, room=team.pk) == ["ss-bob", "ss-owner"]
    assert _names(bob, room=team.pk, q="OWN") == ["ss-owner"]
    # The guest sees the people of the one room it is in, not the private room's, not carol.
    everyone = _names(guest)
    assert "ss-owner" in everyone and "ss-bob" in everyone and guest.username in everyone
    assert "ss-carol" not in everyone
    assert _names(guest, room=team.pk) == []
    assert _names(guest, q="carol") == []
    assert _names(carol) == []  # in no room: nobody to filter by


def test_bad_parameters_and_strangers_get_clear_answers() -> None:
    user = make_user()
    r = client_for(user).get("/api/v1/search/senders", {"limit": 0})
    assert r.status_code == 400 and "limit" in error_of(r)["fields"]
    assert client_for().get("/api/v1/search/senders").status_code == 401
