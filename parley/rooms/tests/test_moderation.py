"""Mute and ban over REST and the socket: who may act on whom, what a mute refuses, what a ban removes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.accounts.models import User
from parley.rooms import services as rooms
from parley.rooms.models import Membership
from parley.testing.api import client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async


def _room(private: bool = False) -> dict[str, Any]:
    owner, bob, carol = make_user(), make_user(), make_user()
    room = rooms.room_create(
        owner=owner, name=f"mod-{owner.pk}", visibility="private" if private else "public"
    )
    for user in (bob, carol):
        rooms.member_add(room_id=room.pk, actor=owner, username=user.username)
    staff = make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return {"room": room.pk, "owner": owner, "bob": bob, "carol": carol, "staff": staff}


def _send(user: User, room: int, body: str = "hello", cid: str | None = None) -> Any:
    return client_for(user).post(
        f"/api/v1/rooms/{room}/messages", {"body": body, "client_id": cid or body}, format="json"
    )


@pytest.mark.django_db
class TestMute:
    def test_a_muted_member_reads_but_cannot_send_react_or_edit_until_unmuted(self) -> None:
        s = _room()
        sent = _send(s["bob"], s["room"], "before").json()
        owner = client_for(s["owner"])
        r = owner.post(f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}", {"duration": 600}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["muted"] is True and r.json()["muted_until"]

        refused = _send(s["bob"], s["room"], "during")
        assert refused.status_code == 403
        err = error_of(refused)
        assert err["code"] == "muted" and err["fields"]["muted_until"]
        assert err["fields"]["muted_until"][0][:16] in err["message"]
        bob = client_for(s["bob"])
        assert error_of(bob.post(f"/api/v1/messages/{sent['id']}/reactions/👍"))["code"] == "muted"
        patch = bob.patch(f"/api/v1/messages/{sent['id']}", {"body": "edited"}, format="json")
        assert error_of(patch)["code"] == "muted"
        assert bob.get(f"/api/v1/rooms/{s['room']}/messages").status_code == 200  # still reads
        room = bob.get(f"/api/v1/rooms/{s['room']}").json()
        assert room["muted"] is True and room["muted_until"] == r.json()["muted_until"]
        # Deleting one's own message stays allowed.
        assert bob.delete(f"/api/v1/messages/{sent['id']}").status_code == 204

        assert owner.delete(f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}").status_code == 204
        assert _send(s["bob"], s["room"], "after").status_code == 201
        assert bob.get(f"/api/v1/rooms/{s['room']}").json()["muted"] is False

    def test_a_mute_until_lifted_says_so_and_a_past_mute_is_over(self) -> None:
        s = _room()
        owner = client_for(s["owner"])
        r = owner.post(f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}", {}, format="json")
        assert r.json()["muted"] is True and r.json()["muted_until"] is None
        err = error_of(_send(s["bob"], s["room"]))
        assert err["code"] == "muted" and "lifted" in err["message"] and err["fields"] == {}
        listed = owner.get(f"/api/v1/rooms/{s['room']}/mutes").json()["mutes"]
        assert [m["user"]["id"] for m in listed] == [s["bob"].pk]

        Membership.objects.filter(user=s["bob"]).update(muted_until=timezone.now() - timedelta(seconds=1))
        assert _send(s["bob"], s["room"], "expired").status_code == 201
        assert owner.get(f"/api/v1/rooms/{s['room']}/mutes").json()["mutes"] == []
        members = owner.get(f"/api/v1/rooms/{s['room']}/members").json()["members"]
        assert not any(m["muted"] for m in members)

    @pytest.mark.parametrize(
        ("actor", "target", "status", "code"),
        [
            ("bob", "carol", 403, "not_owner"),
            ("owner", "owner", 400, "cannot_moderate_self"),
            ("owner", "staff", 403, "target_is_staff"),
            ("staff", "owner", 200, None),
            ("staff", "staff", 400, "cannot_moderate_self"),
        ],
    )
    def test_who_may_mute_whom(self, actor: str, target: str, status: int, code: str | None) -> None:
        s = _room()
        rooms.room_join(room_id=s["room"], user=s["staff"])
        r = client_for(s[actor]).post(f"/api/v1/rooms/{s['room']}/mutes/{s[target].pk}", {}, format="json")
        assert r.status_code == status, r.content
        if code:
            assert error_of(r)["code"] == code

    def test_bad_durations_and_non_members_are_refused_clearly(self) -> None:
        s = _room()
        owner = client_for(s["owner"])
        outsider = make_user()
        for duration in (0, -5, 10**9, "soon"):
            r = owner.post(
                f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}", {"duration": duration}, format="json"
            )
            assert r.status_code == 400 and "duration" in error_of(r)["fields"]
        r = owner.post(f"/api/v1/rooms/{s['room']}/mutes/{outsider.pk}", {}, format="json")
        assert r.status_code == 404 and error_of(r)["code"] == "not_member"
        assert owner.post(f"/api/v1/rooms/{s['room']}/mutes/999999", {}, format="json").status_code == 404
        assert not Membership.objects.filter(muted=True).exists()

    def test_the_mute_check_adds_no_statement_to_a_send_batch(self) -> None:
        """The six statements of a send (messaging's cost tests) stay six in a room with a muted
        member; a muted sender's refusal reads when the mute ends, once per refused send."""
        from parley.messaging.services import SendRequest, message_send_batch

        s = _room()
        Membership.objects.filter(user=s["carol"]).update(muted=True)

        def counted(requests: list[SendRequest]) -> tuple[int, list[Any]]:
            with CaptureQueriesContext(connection) as q:
                answers = message_send_batch(room_id=s["room"], requests=requests)
            sql = [x for x in q.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))]
            return len(sql), answers

        n, answers = counted([SendRequest(s["bob"], f"m{i}", f"c{i}") for i in range(10)])
        assert n == 6 and all(not isinstance(a, Exception) for a in answers)
        n, answers = counted([SendRequest(s["bob"], "x", "cx"), SendRequest(s["carol"], "y", "cy")])
        assert n == 7
        assert not isinstance(answers[0], Exception) and getattr(answers[1], "code", None) == "muted"


@pytest.mark.django_db
class TestBan:
    def test_a_ban_removes_at_once_and_refuses_rejoin_and_re_add_until_lifted(self) -> None:
        s = _room()
        owner, bob = client_for(s["owner"]), client_for(s["bob"])
        r = owner.post(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}", {"reason": "spam"}, format="json")
        assert r.status_code == 200 and r.json()["user"]["id"] == s["bob"].pk and r.json()["reason"] == "spam"
        assert not Membership.objects.filter(user=s["bob"], room_id=s["room"]).exists()
        assert error_of(_send(s["bob"], s["room"]))["code"] == "banned"
        join = bob.post(f"/api/v1/rooms/{s['room']}/join")
        assert join.status_code == 403 and error_of(join)["code"] == "banned"
        add = owner.post(f"/api/v1/rooms/{s['room']}/members", {"username": s["bob"].username}, format="json")
        assert add.status_code == 409 and error_of(add)["code"] == "banned"
        bans = owner.get(f"/api/v1/rooms/{s['room']}/bans").json()["bans"]
        assert [(b["user"]["id"], b["banned_by"]["id"]) for b in bans] == [(s["bob"].pk, s["owner"].pk)]
        # Banning again keeps the one ban.
        assert (
            owner.post(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}", {}, format="json").status_code == 200
        )
        assert len(owner.get(f"/api/v1/rooms/{s['room']}/bans").json()["bans"]) == 1

        assert owner.delete(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}").status_code == 204
        assert bob.post(f"/api/v1/rooms/{s['room']}/join").status_code == 200

    @pytest.mark.parametrize("private", [False, True])
    def test_a_banned_person_hears_banned_wherever_they_try_and_a_stranger_learns_nothing(
        self, private: bool
    ) -> None:
        s = _room(private=private)
        owner, bob, stranger = client_for(s["owner"]), client_for(s["bob"]), client_for(make_user())
        assert owner.post(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}").status_code == 200
        tries = {
            "messages": bob.get(f"/api/v1/rooms/{s['room']}/messages"),
            "send": _send(s["bob"], s["room"]),
            "join": bob.post(f"/api/v1/rooms/{s['room']}/join"),
            "members": bob.get(f"/api/v1/rooms/{s['room']}/members"),
        }
        if private:  # a public room's card stays readable in the lobby, as for anyone
            tries["room"] = bob.get(f"/api/v1/rooms/{s['room']}")
        for what, r in tries.items():
            assert (what, r.status_code, error_of(r)["code"]) == (what, 403, "banned")
        assert "banned" in error_of(tries["messages"])["message"]
        # Someone never in the room and never banned learns no more than before.
        expected = (404, "not_found") if private else (403, "not_member")
        for r in (
            stranger.get(f"/api/v1/rooms/{s['room']}/messages"),
            stranger.post(
                f"/api/v1/rooms/{s['room']}/messages", {"body": "x", "client_id": "x"}, format="json"
            ),
        ):
            assert (r.status_code, error_of(r)["code"]) == expected
        # Lifted: back to the ordinary refusal.
        assert owner.delete(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}").status_code == 204
        assert (bob.get(f"/api/v1/rooms/{s['room']}/messages").status_code, private) in (
            (403, False),
            (404, True),
        )

    def test_a_ban_in_advance_from_a_private_room_tells_no_more_than_to_any_outsider(self) -> None:
        """Banned before ever joining, a person must not learn from `banned` (against the
        outsider's 404) that a private room's id exists; a banned former member is told why."""
        s = _room(private=True)
        owner, ahead, stranger = client_for(s["owner"]), make_user(), client_for(make_user())
        assert owner.post(f"/api/v1/rooms/{s['room']}/bans/{ahead.pk}").status_code == 200
        assert owner.post(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}").status_code == 200
        assert [b["user"]["id"] for b in owner.get(f"/api/v1/rooms/{s['room']}/bans").json()["bans"]] == [
            s["bob"].pk,
            ahead.pk,
        ]

        def tries(c: Any) -> dict[str, Any]:
            return {
                "room": c.get(f"/api/v1/rooms/{s['room']}"),
                "messages": c.get(f"/api/v1/rooms/{s['room']}/messages"),
                "send": c.post(
                    f"/api/v1/rooms/{s['room']}/messages", {"body": "x", "client_id": "x"}, format="json"
                ),
                "join": c.post(f"/api/v1/rooms/{s['room']}/join"),
                "members": c.get(f"/api/v1/rooms/{s['room']}/members"),
            }

        outsider = {what: (r.status_code, r.json()) for what, r in tries(stranger).items()}
        assert {what: status for what, (status, _body) in outsider.items()} == dict.fromkeys(outsider, 404)
        banned_ahead = {what: (r.status_code, r.json()) for what, r in tries(client_for(ahead)).items()}
        assert banned_ahead == outsider
        former = tries(client_for(s["bob"]))
        assert {what: (r.status_code, error_of(r)["code"]) for what, r in former.items()} == dict.fromkeys(
            former, (403, "banned")
        )

    def test_a_ban_in_advance_from_a_public_room_is_told(self) -> None:
        """A public room is seen by everyone: a ban in advance hides nothing, so it is said."""
        s = _room()
        ahead = make_user()
        owner = client_for(s["owner"])
        assert owner.post(f"/api/v1/rooms/{s['room']}/bans/{ahead.pk}").status_code == 200
        for r in (client_for(ahead).post(f"/api/v1/rooms/{s['room']}/join"), _send(ahead, s["room"])):
            assert (r.status_code, error_of(r)["code"]) == (403, "banned")

    def test_members_and_strangers_cannot_see_or_use_the_lists(self) -> None:
        s = _room(private=True)
        stranger = make_user()
        for user, status in ((s["bob"], 403), (stranger, 404)):
            c = client_for(user)
            assert c.get(f"/api/v1/rooms/{s['room']}/bans").status_code == status
            assert c.get(f"/api/v1/rooms/{s['room']}/mutes").status_code == status
            assert c.post(f"/api/v1/rooms/{s['room']}/bans/{s['carol'].pk}").status_code == status
        assert Membership.objects.filter(user=s["carol"]).exists()
        # Staff moderate any room, member or not.
        staff = client_for(s["staff"])
        assert staff.get(f"/api/v1/rooms/{s['room']}/bans").status_code == 200
        assert staff.post(f"/api/v1/rooms/{s['room']}/bans/{s['owner'].pk}").status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_a_muted_socket_gets_a_muted_error_and_everyone_sees_the_mute_live() -> None:
    s = await db(_room)()
    bob = WsClient(await db(token_for)(s["bob"]))
    carol = WsClient(await db(token_for)(s["carol"]))
    for c in (bob, carol):
        assert (await c.connect())[0]
    owner = await db(client_for)(s["owner"])
    r = await db(owner.post)(
        f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}", {"duration": 3600}, format="json"
    )
    assert r.status_code == 200
    for c in (bob, carol):
        frame = await c.recv_type("member.updated")
        assert (frame["room"], frame["user"]["id"], frame["muted"]) == (s["room"], s["bob"].pk, True)
        assert frame["muted_until"] == r.json()["muted_until"]
    await bob.send({"type": "send", "room": s["room"], "body": "hi", "client_id": "m-1"})
    err = await bob.recv_type("error")
    assert (err["code"], err["ref"]) == ("muted", "m-1")
    await carol.nothing()

    assert (await db(owner.delete)(f"/api/v1/rooms/{s['room']}/mutes/{s['bob'].pk}")).status_code == 204
    lifted = await carol.recv_type("member.updated")
    assert (lifted["muted"], lifted["muted_until"]) == (False, None)
    await bob.send({"type": "send", "room": s["room"], "body": "hi", "client_id": "m-2"})
    assert (await bob.recv_type("ack"))["client_id"] == "m-2"
    for c in (bob, carol):
        assert (await c.recv_type("message"))["message"]["body"] == "hi"
    assert (await bob.recv_type("member.updated"))["muted"] is False

    # A ban: bob hears member.left and then nothing more of the room.
    assert (await db(owner.post)(f"/api/v1/rooms/{s['room']}/bans/{s['bob'].pk}")).status_code == 200
    left = await bob.recv_type("member.left")
    assert left["user"]["id"] == s["bob"].pk
    await db(_send)(s["carol"], s["room"], "after the ban", "c-after")
    assert (await carol.recv_type("message"))["message"]["body"] == "after the ban"
    await bob.nothing(ignore=("presence", "ping", "room.updated", "member.left"))  # no message
    await bob.send({"type": "send", "room": s["room"], "body": "let me in", "client_id": "m-3"})
    refused = await bob.recv_type("error")
    assert (refused["code"], refused["ref"]) == ("banned", "m-3")
    for c in (bob, carol):
        await c.close()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_banned_in_advance_from_a_private_room_hears_not_found_like_any_outsider() -> None:
    s = await db(_room)(private=True)
    ahead, stranger = await db(make_user)(), await db(make_user)()
    owner = await db(client_for)(s["owner"])
    for user in (ahead, s["bob"]):
        assert (await db(owner.post)(f"/api/v1/rooms/{s['room']}/bans/{user.pk}")).status_code == 200
    heard: dict[str, dict[str, Any]] = {}
    for who, user in (("stranger", stranger), ("ahead", ahead), ("former", s["bob"])):
        c = WsClient(await db(token_for)(user))
        assert (await c.connect())[0]
        await c.send({"type": "send", "room": s["room"], "body": "hi", "client_id": "x-1"})
        heard[who] = await c.recv_type("error")
        await c.close()
    assert heard["ahead"] == heard["stranger"]
    assert (heard["ahead"]["code"], heard["ahead"]["ref"]) == ("not_found", "x-1")
    assert (heard["former"]["code"], heard["former"]["ref"]) == ("banned", "x-1")
