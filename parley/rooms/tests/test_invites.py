"""Invite links over REST (issue 17): who may create, list and revoke them; preview without
signing in; accept as an account or a guest; every dead state answers 410."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from parley.rooms.models import Invite, Membership
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db


def private_room(owner_client: APIClient, name: str = "backroom") -> dict:  # type: ignore[type-arg]
    r = owner_client.post("/api/v1/rooms", {"name": name, "visibility": "private"}, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def create_invite(client: APIClient, room_id: int, **body: object) -> dict:  # type: ignore[type-arg]
    r = client.post(f"/api/v1/rooms/{room_id}/invites", body, format="json")
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def test_owner_creates_a_link_to_a_private_room_and_a_guest_joins_with_it() -> None:
    owner = client_for(make_user("host"))
    room = private_room(owner)
    invite = create_invite(owner, room["id"], expires_in=3600, max_uses=5)
    assert {"token", "url", "expires_at", "max_uses", "uses"} <= set(invite)
    assert invite["url"].endswith(f"/invite/{invite['token']}")
    assert invite["max_uses"] == 5 and invite["uses"] == 0 and invite["state"] == "active"
    assert len(invite["token"]) >= 32

    preview = APIClient().get(f"/api/v1/invites/{invite['token']}")  # no sign-in at all
    assert preview.status_code == 200
    assert preview.json()["room"] == {
        "id": room["id"],
        "name": "backroom",
        "topic": "",
        "visibility": "private",
        "member_count": 1,
    }

    guest = make_guest("Wanderer")
    joined = client_for(guest).post(f"/api/v1/invites/{invite['token']}/accept")
    assert joined.status_code == 200, joined.content
    assert joined.json()["id"] == room["id"] and joined.json()["is_member"] is True
    assert joined.json()["member_count"] == 2
    assert Membership.objects.filter(room_id=room["id"], user=guest).exists()
    assert Invite.objects.get(token=invite["token"]).uses == 1
    # The guest now reads the private room.
    assert client_for(guest).get(f"/api/v1/rooms/{room['id']}/messages").status_code == 200


def test_accepting_twice_counts_one_use() -> None:
    owner = client_for(make_user("host2"))
    room = private_room(owner, "twice")
    invite = create_invite(owner, room["id"], max_uses=2)
    joiner = client_for(make_user("joiner"))
    for _ in range(3):
        assert joiner.post(f"/api/v1/invites/{invite['token']}/accept").status_code == 200
    assert Invite.objects.get(token=invite["token"]).uses == 1
    # The owner, already a member, counts none either.
    assert owner.post(f"/api/v1/invites/{invite['token']}/accept").status_code == 200
    assert Invite.objects.get(token=invite["token"]).uses == 1


def test_a_used_up_link_answers_410_and_admits_nobody_more() -> None:
    owner = client_for(make_user("host3"))
    room = private_room(owner, "one-seat")
    invite = create_invite(owner, room["id"], max_uses=1)
    assert client_for(make_user("first")).post(f"/api/v1/invites/{invite['token']}/accept").status_code == 200
    late = make_user("late")
    r = client_for(late).post(f"/api/v1/invites/{invite['token']}/accept")
    assert r.status_code == 410
    assert error_of(r)["code"] == "invite_used_up"
    assert not Membership.objects.filter(room_id=room["id"], user=late).exists()
    preview = APIClient().get(f"/api/v1/invites/{invite['token']}")
    assert preview.status_code == 410 and error_of(preview)["code"] == "invite_used_up"
    assert Invite.objects.get(token=invite["token"]).uses == 1


def test_an_expired_link_answers_410() -> None:
    owner = client_for(make_user("host4"))
    room = private_room(owner, "later")
    invite = create_invite(owner, room["id"], expires_in=60)
    Invite.objects.filter(token=invite["token"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    for r in (
        APIClient().get(f"/api/v1/invites/{invite['token']}"),
        client_for(make_user("tardy")).post(f"/api/v1/invites/{invite['token']}/accept"),
    ):
        assert r.status_code == 410
        assert error_of(r)["code"] == "invite_expired"
        assert error_of(r)["message"] == "This invite has expired."


def test_revoking_a_link_answers_410_and_drops_it_from_the_list() -> None:
    owner = client_for(make_user("host5"))
    room = private_room(owner, "revoked")
    invite = create_invite(owner, room["id"])
    assert owner.get(f"/api/v1/rooms/{room['id']}/invites").json()["invites"][0]["token"] == invite["token"]
    assert owner.delete(f"/api/v1/invites/{invite['token']}").status_code == 204
    assert owner.delete(f"/api/v1/invites/{invite['token']}").status_code == 204  # idempotent
    assert owner.get(f"/api/v1/rooms/{room['id']}/invites").json()["invites"] == []
    r = client_for(make_user("too-late")).post(f"/api/v1/invites/{invite['token']}/accept")
    assert r.status_code == 410 and error_of(r)["code"] == "invite_revoked"


def test_a_closed_rooms_link_answers_410() -> None:
    owner = client_for(make_user("host6"))
    room = private_room(owner, "closing")
    invite = create_invite(owner, room["id"])
    assert owner.delete(f"/api/v1/rooms/{room['id']}").status_code == 204
    r = APIClient().get(f"/api/v1/invites/{invite['token']}")
    assert r.status_code == 410 and error_of(r)["code"] == "invite_room_closed"
    assert owner.post(f"/api/v1/rooms/{room['id']}/invites", {}, format="json").status_code == 409


def test_unknown_tokens_are_404() -> None:
    r = APIClient().get("/api/v1/invites/not-a-real-token")
    assert r.status_code == 404 and error_of(r)["code"] == "invite_not_found"
    r = client_for(make_user("prober")).post("/api/v1/invites/" + "x" * 80 + "/accept")
    assert r.status_code == 404


def test_members_invite_only_when_the_owner_allows_it_and_see_only_their_own_links() -> None:
    owner_user, member_user = make_user("host7"), make_user("helper")
    owner = client_for(owner_user)
    room = private_room(owner, "club")
    assert (
        owner.post(f"/api/v1/rooms/{room['id']}/members", {"username": "helper"}, format="json").status_code
        == 201
    )
    member = client_for(member_user)
    r = member.post(f"/api/v1/rooms/{room['id']}/invites", {}, format="json")
    assert r.status_code == 403 and error_of(r)["code"] == "not_allowed"

    # Only the owner may change the setting.
    r = member.patch(f"/api/v1/rooms/{room['id']}", {"members_can_invite": True}, format="json")
    assert r.status_code == 403
    r = owner.patch(f"/api/v1/rooms/{room['id']}", {"members_can_invite": True}, format="json")
    assert r.status_code == 200 and r.json()["members_can_invite"] is True

    owners_link = create_invite(owner, room["id"])
    members_link = create_invite(member, room["id"], max_uses=1)
    assert [i["token"] for i in member.get(f"/api/v1/rooms/{room['id']}/invites").json()["invites"]] == [
        members_link["token"]
    ]
    assert {i["token"] for i in owner.get(f"/api/v1/rooms/{room['id']}/invites").json()["invites"]} == {
        owners_link["token"],
        members_link["token"],
    }
    # A member revokes their own link, not the owner's; the owner revokes any.
    refused = member.delete(f"/api/v1/invites/{owners_link['token']}")
    made_up = member.delete("/api/v1/invites/" + "q" * len(owners_link["token"]))
    # Not theirs: the same answer as for a code that does not exist.
    assert (refused.status_code, refused.json()) == (made_up.status_code, made_up.json())
    assert refused.status_code == 404 and error_of(refused)["code"] == "invite_not_found"
    assert member.delete(f"/api/v1/invites/{members_link['token']}").status_code == 204
    assert owner.delete(f"/api/v1/invites/{owners_link['token']}").status_code == 204


def test_outsiders_cannot_create_or_list_links() -> None:
    owner = client_for(make_user("host8"))
    room = private_room(owner, "secretive")
    outsider = client_for(make_user("nosy"))
    assert outsider.post(f"/api/v1/rooms/{room['id']}/invites", {}, format="json").status_code == 404
    assert outsider.get(f"/api/v1/rooms/{room['id']}/invites").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"expires_in": 5}, {"expires_in": 31 * 86400}, {"max_uses": 0}, {"max_uses": 1001}, {"max_uses": "x"}],
)
def test_bad_limits_are_refused(body: dict[str, object]) -> None:
    owner = client_for(make_user())
    room = private_room(owner, f"limits-{abs(hash(str(body))) % 10000}")
    r = owner.post(f"/api/v1/rooms/{room['id']}/invites", body, format="json")
    assert r.status_code == 400
    assert set(error_of(r)["fields"]) & {"expires_in", "max_uses"}
    assert not Invite.objects.filter(room_id=room["id"]).exists()


def test_accept_cost_does_not_grow_with_the_room(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    owner = client_for(make_user("host9"))
    room = private_room(owner, "busy")
    invite = create_invite(owner, room["id"])
    for i in range(5):
        client_for(make_user(f"crowd{i}")).post(f"/api/v1/invites/{invite['token']}/accept")
    last = client_for(make_user("last-one"))
    with django_assert_max_num_queries(25):
        assert last.post(f"/api/v1/invites/{invite['token']}/accept").status_code == 200


def test_revoking_tells_a_stranger_nothing_and_is_throttled(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "invite_use": "3/minute"}
    cache.clear()
    owner = client_for(make_user("host9"))
    room = private_room(owner, "secret-club")
    real = create_invite(owner, room["id"])
    stranger = client_for(make_user("guesser"))
    stranger.defaults["REMOTE_ADDR"] = "10.6.6.6"
    answers = [
        stranger.delete(f"/api/v1/invites/{token}")
        for token in (real["token"], "z" * len(real["token"]), real["token"])
    ]
    assert {(r.status_code, json.dumps(r.json(), sort_keys=True)) for r in answers} == {
        (404, json.dumps(answers[0].json(), sort_keys=True))
    }
    assert stranger.delete(f"/api/v1/invites/{real['token']}").status_code == 429
    assert APIClient().get(f"/api/v1/invites/{real['token']}").status_code == 200  # still live
