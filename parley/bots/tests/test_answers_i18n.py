"""Bots answer in the language and time zone of whoever called the command (issue 27):
`/roll` and `/stats` asked by a Korean speaker in Seoul come back in Korean with Seoul's
hours; the same commands asked by an English speaker in UTC come back as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


def _ask(user: User, room: int, body: str, bot: str) -> str:
    """Post a command over REST and wait for the bot's answer to it."""
    asked = client_for(user).post(f"/api/v1/rooms/{room}/messages", {"body": body}, format="json")
    assert asked.status_code == 201, asked.content
    answers = Message.objects.filter(room_id=room, sender__username=bot, reply_to_id=asked.json()["id"])
    return wait_until(lambda: answers.first(), what=f"the bot's answer to {body}").body


def test_answers_follow_the_callers_language_and_time_zone() -> None:
    owner, min_ji = make_user("i18n-own"), make_user("i18n-minji")
    room = rooms.room_create(owner=owner, name="i18n-bots")
    rooms.room_join(room_id=room.pk, user=min_ji)
    patch = client_for(min_ji).patch(
        "/api/v1/me", {"language": "ko", "time_zone": "Asia/Seoul"}, format="json"
    )
    assert patch.status_code == 200
    # One message two days ago at 03:10 UTC: 12:10 in Seoul.
    said = client_for(owner).post(f"/api/v1/rooms/{room.pk}/messages", {"body": "hi"}, format="json").json()
    at = (timezone.now() - timedelta(days=2)).replace(hour=3, minute=10)
    Message.objects.filter(pk=said["id"]).update(created_at=at)

    roll = _ask(min_ji, room.pk, "/roll 2d6", "dice")
    assert roll.startswith("🎲 i18n-minji 님이 2d6을(를) 굴렸습니다: "), roll
    stats = _ask(min_ji, room.pk, "/stats", "stats").splitlines()
    assert stats[0].startswith("📊 오늘 메시지: "), stats
    assert stats[1].startswith("이번 주 가장 활발한 멤버: ") and "i18n-own (1)" in stats[1], stats
    assert stats[2].startswith("가장 바쁜 시간 (Asia/Seoul): ") and "12:00" in stats[2], stats

    # The English speaker in UTC: English, and the same message at 03:00.
    assert _ask(owner, room.pk, "/roll d20", "dice").startswith("🎲 i18n-own rolled d20: ")
    stats = _ask(owner, room.pk, "/stats", "stats").splitlines()
    assert stats[0].startswith("📊 Messages today: ")
    assert stats[2].startswith("Busiest hours (UTC): ") and "03:00" in stats[2], stats
    assert "12:00" not in stats[2] or timezone.now().hour == 12


def test_a_refusal_of_the_dice_is_in_the_callers_language_too() -> None:
    owner = make_user("i18n-ja")
    room = rooms.room_create(owner=owner, name="i18n-ja-bots")
    assert client_for(owner).patch("/api/v1/me", {"language": "ja"}, format="json").status_code == 200
    assert _ask(owner, room.pk, "/roll 99d6", "dice").startswith("サイコロは 2d6 や d20+3 のように")
