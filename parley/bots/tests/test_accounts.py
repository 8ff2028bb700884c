"""Bot accounts for outside programs, and the shipped /stats bot."""

from __future__ import annotations

from typing import Any

import pytest

from parley.bots import builtin
from parley.bots.handlers import Call
from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.rooms.models import Membership
from parley.testing.api import client_for, error_of, make_user
from parley.testing.waits import wait_until
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_who_may_create_a_bot_account() -> None:
    owner, member, staff = make_user(), make_user(), make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    room = rooms.room_create(owner=owner, name="bots-acc")
    rooms.room_join(room_id=room.pk, user=member)

    assert client_for(member).post("/api/v1/bots", {"username": "nope-bot"}, format="json").status_code == 403
    r = client_for(member).post("/api/v1/bots", {"username": "nope-bot", "room": room.pk}, format="json")
    assert r.status_code == 403
    bad = client_for(owner).post("/api/v1/bots", {"username": "no spaces", "room": room.pk}, format="json")
    assert bad.status_code == 400 and "username" in error_of(bad)["fields"]
    taken = client_for(owner).post(
        "/api/v1/bots", {"username": owner.username, "room": room.pk}, format="json"
    )
    assert taken.status_code == 400

    made = client_for(owner).post(
        "/api/v1/bots", {"username": "ci-bot", "display_name": "CI", "room": room.pk}, format="json"
    )
    assert made.status_code == 201
    body = made.json()
    assert body["user"]["is_bot"] is True and body["user"]["display_name"] == "CI"
    assert Membership.objects.filter(room=room, user_id=body["user"]["id"]).exists()
    anywhere = client_for(staff).post("/api/v1/bots", {"username": "ops-bot"}, format="json")
    assert anywhere.status_code == 201

    # The token is a person's token: the same REST API.
    bot_api = client_for()
    bot_api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = bot_api.get("/api/v1/me").json()["user"]
    assert me["is_bot"] is True and me["username"] == "ci-bot"
    posted = bot_api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "deployed"}, format="json")
    assert posted.status_code == 201 and posted.json()["sender"]["is_bot"] is True


async def test_a_bot_account_uses_the_websocket_like_a_person() -> None:
    from channels.db import database_sync_to_async as db

    @db
    def setup() -> dict[str, Any]:
        owner = make_user()
        room = rooms.room_create(owner=owner, name="bots-ws")
        token = client_for(owner).post("/api/v1/bots", {"username": "ws-bot", "room": room.pk}, format="json")
        return {"room": room.pk, "token": token.json()["token"]}

    s = await setup()
    bot = WsClient(s["token"])
    ok, _ = await bot.connect()
    assert ok and bot.hello is not None and bot.hello["user"]["is_bot"] is True
    await bot.send({"type": "send", "room": s["room"], "body": "beep", "client_id": "bb-1"})
    assert (await bot.recv_type("ack"))["client_id"] == "bb-1"
    await bot.close()


def test_stats_counts_today_top_members_and_hours() -> None:
    owner, ada = make_user("stats-own"), make_user("stats-ada")
    room = rooms.room_create(owner=owner, name="stats-room")
    rooms.room_join(room_id=room.pk, user=ada)
    for i in range(3):
        message_send(sender=ada, room_id=room.pk, body=f"a{i}")
    message_send(sender=owner, room_id=room.pk, body="o")
    answer = builtin.StatsBot().handle(Call("stats", "", room.pk, owner.pk, "stats-own"))
    lines = answer.text.splitlines()
    assert lines[0] == "📊 Messages today: 4"
    assert lines[1] == "Most active this week: stats-ada (3), stats-own (1)"
    assert lines[2].startswith("Busiest hours (UTC): ") and ":00" in lines[2]
    assert lines[3].startswith("00h ") and lines[3].endswith(" 23h") and "█" in lines[3]
    assert len(lines[3]) == len("00h  23h") + 24
    assert len(lines) == 4  # the chart comes as a picture, not a link
    assert answer.png.startswith(b"\x89PNG\r\n\x1a\n") and answer.png_name == "busy-hours.png"


def test_the_stats_chart_is_a_png_for_members_only() -> None:
    owner, outsider = make_user(), make_user()
    room = rooms.room_create(owner=owner, name="chart-room")
    secret = rooms.room_create(owner=owner, name="chart-secret", visibility="private")
    message_send(sender=owner, room_id=room.pk, body="one")
    r = client_for(owner).get(f"/api/v1/rooms/{room.pk}/stats.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in r.content
    assert client_for(outsider).get(f"/api/v1/rooms/{room.pk}/stats.png").status_code == 403
    assert client_for(outsider).get(f"/api/v1/rooms/{secret.pk}/stats.png").status_code == 404
    assert client_for().get(f"/api/v1/rooms/{room.pk}/stats.png").status_code == 401


def test_stats_over_rest_is_answered_by_the_stats_bot() -> None:
    owner = make_user()
    room = rooms.room_create(owner=owner, name="stats-rest")
    asked = client_for(owner).post(f"/api/v1/rooms/{room.pk}/messages", {"body": "/stats"}, format="json")
    assert asked.status_code == 201
    answer = wait_until(
        lambda: Message.objects.filter(room=room, sender__username="stats").first(), what="the bot's answer"
    )
    assert answer.body.startswith("📊 Messages today: 1")
    # The hours chart is posted with it as an image attachment, served to members only.
    (picture,) = answer.attachments
    assert (picture["name"], picture["content_type"]) == ("busy-hours.png", "image/png")
    served = client_for(owner).get(picture["url"])
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert client_for(make_user()).get(picture["url"]).status_code == 404


def test_dice_refuses_what_it_cannot_roll() -> None:
    dice = builtin.DiceBot()
    for spec in ("0d6", "21d6", "2d1", "d", "two dice", "2d6; rm -rf"):
        assert dice.handle(Call("roll", spec, 1, 1, "Ada")).startswith("I roll dice written like"), spec
    assert dice.handle(Call("roll", "", 1, 1, "Ada")).startswith("🎲 Ada rolled 1d6: ")
    total = int(dice.handle(Call("roll", "d20+3", 1, 1, "Ada")).rsplit(" ", 1)[1])
    assert 4 <= total <= 23


def test_a_flooding_bot_is_refused_like_a_person(settings: Any) -> None:
    from parley.bots import services

    settings.WS_SEND_RATE = 0.01
    settings.WS_SEND_BURST = 3
    owner = make_user()
    room = rooms.room_create(owner=owner, name="flood")
    bot = services.registered_bot_user(key="dice")
    posted = [services.bot_post(bot=bot, room_id=room.pk, body=f"spam {i}") for i in range(5)]
    assert [p is not None for p in posted] == [True, True, True, False, False]
    assert Message.objects.filter(room=room, sender=bot).count() == 3
