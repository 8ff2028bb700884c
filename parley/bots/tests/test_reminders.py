"""`/remind me …`: reading the time in the four languages (the parser alone), the
confirmation only the asker sees, and the reminder bot's DM arriving on their socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from parley.actions import scheduling as job
from parley.bots import reminders
from parley.messaging.models import Message, ScheduledMessage
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_guest, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async

# Monday 7 December 2026, 12:00 UTC: 21:00 in Tokyo and Seoul, 20:00 in Shanghai, 07:00 in New York.
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def local(zone: str, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("args", "zone", "when", "text"),
    [
        # English
        ("me in 10m call Ada", "UTC", NOW + timedelta(minutes=10), "call Ada"),
        ("me in 2 hours to stretch", "UTC", NOW + timedelta(hours=2), "stretch"),
        ("me in an hour tea", "UTC", NOW + timedelta(hours=1), "tea"),
        ("me in 1h30m review", "UTC", NOW + timedelta(minutes=90), "review"),
        ("me in 3 days renew", "UTC", NOW + timedelta(days=3), "renew"),
        ("me tomorrow at 9:00 stand-up", "America/New_York", local("America/New_York", 8, 9), "stand-up"),
        ("me at 17:30 go home", "America/New_York", local("America/New_York", 7, 17, 30), "go home"),
        ("me at 5pm call", "UTC", local("UTC", 7, 17), "call"),
        ("me at 9:00 passed today, so tomorrow", "UTC", local("UTC", 8, 9), "passed today, so tomorrow"),
        ("me tomorrow 9am gym", "UTC", local("UTC", 8, 9), "gym"),
        # 日本語
        ("me 10分後 会議", "Asia/Tokyo", NOW + timedelta(minutes=10), "会議"),
        ("me 1時間後に 洗濯物", "Asia/Tokyo", NOW + timedelta(hours=1), "洗濯物"),
        ("me 明日 9:00 朝会", "Asia/Tokyo", local("Asia/Tokyo", 8, 9), "朝会"),
        ("明日の午後3時に 歯医者", "Asia/Tokyo", local("Asia/Tokyo", 8, 15), "歯医者"),
        ("me 22時半に 寝る", "Asia/Tokyo", local("Asia/Tokyo", 7, 22, 30), "寝る"),
        ("あと5分で 出発", "Asia/Tokyo", NOW + timedelta(minutes=5), "出発"),
        # 한국어
        ("me 10분 후 회의", "Asia/Seoul", NOW + timedelta(minutes=10), "회의"),
        ("me 2시간 뒤에 운동", "Asia/Seoul", NOW + timedelta(hours=2), "운동"),
        ("me 내일 9시 출근", "Asia/Seoul", local("Asia/Seoul", 8, 9), "출근"),
        ("내일 오후 3시 30분에 전화", "Asia/Seoul", local("Asia/Seoul", 8, 15, 30), "전화"),
        ("me 23:00에 정리", "Asia/Seoul", local("Asia/Seoul", 7, 23), "정리"),
        # 中文
        ("me 10分钟后 开会", "Asia/Shanghai", NOW + timedelta(minutes=10), "开会"),
        ("me 半小时后 休息", "Asia/Shanghai", NOW + timedelta(minutes=30), "休息"),
        ("2个小时以后 吃饭", "Asia/Shanghai", NOW + timedelta(hours=2), "吃饭"),
        ("me 明天 9:00 早会", "Asia/Shanghai", local("Asia/Shanghai", 8, 9), "早会"),
        ("明天上午9点 打卡", "Asia/Shanghai", local("Asia/Shanghai", 8, 9), "打卡"),
        ("me 晚上10点半 关灯", "Asia/Shanghai", local("Asia/Shanghai", 7, 22, 30), "关灯"),
    ],
)
def test_the_time_is_read_in_the_persons_zone(args: str, zone: str, when: datetime, text: str) -> None:
    found = reminders.parse(args, now=NOW, zone=ZoneInfo(zone))
    assert found.when == when and found.text == text
    assert found.when.utcoffset() == when.astimezone(ZoneInfo(zone)).utcoffset()


@pytest.mark.parametrize(
    "args",
    ["", "me", "me in 10m", "me call Ada", "me 3 things", "me at 25:00 x", "me in 0m x", "meeting at 5pm"],
)
def test_what_is_not_a_time_is_unclear(args: str) -> None:
    with pytest.raises(reminders.Unclear):
        reminders.parse(args, now=NOW, zone=ZoneInfo("UTC"))


def test_today_at_a_passed_time_is_refused() -> None:
    with pytest.raises(reminders.Passed):
        reminders.parse("me today at 8:00 x", now=NOW, zone=ZoneInfo("UTC"))


@db
def _setup() -> dict[str, Any]:
    ada = make_user("rem-ada")
    room = rooms.room_create(owner=ada, name="remind-here")
    client_for(ada).patch("/api/v1/me", {"time_zone": "Asia/Tokyo"}, format="json")
    return {"ada": ada, "room": room.pk, "token": token_for(ada)}


@db
def _run_due() -> int:
    ScheduledMessage.objects.filter(state="pending").update(send_at=timezone.now() - timedelta(seconds=1))
    return job.scheduled_send_due()


@pytest.mark.django_db(transaction=True)
async def test_a_reminder_is_confirmed_to_the_asker_then_arrives_as_a_dm() -> None:
    s = await _setup()
    ada = WsClient(s["token"])
    assert (await ada.connect())[0]
    await ada.send(
        {"type": "send", "room": s["room"], "body": "/remind me in 10m stretch", "client_id": "r1"}
    )
    notice = await ada.recv_type("notice")
    expected = (timezone.now() + timedelta(minutes=10)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert notice["level"] == "info" and notice["text"].startswith("⏰ I will remind you at ")
    assert f"{expected:%Y-%m-%d %H:}" in notice["text"] and "(Asia/Tokyo): stretch" in notice["text"]
    await ada.nothing(0.3)  # nothing in the room: the command is not a message
    assert not await db(Message.objects.exists)()
    assert await _run_due() == 1
    created = await ada.recv_type("room.created")
    assert created["room"]["kind"] == "direct"
    dm = await ada.recv_type("message")
    assert dm["room"] == created["room"]["id"] and dm["message"]["body"] == "⏰ Reminder: stretch"
    assert dm["message"]["sender"]["username"] == "reminder" and dm["message"]["sender"]["is_bot"]
    assert await _run_due() == 0  # once
    await ada.nothing(0.3)
    await ada.close()


@pytest.mark.django_db(transaction=True)
def test_reminders_speak_the_askers_language_and_bad_input_gets_the_usage() -> None:
    ji = make_user("rem-ji")
    room = rooms.room_create(owner=ji, name="remind-ko")
    client = client_for(ji)
    client.patch("/api/v1/me", {"language": "ko", "time_zone": "Asia/Seoul"}, format="json")
    url = f"/api/v1/rooms/{room.pk}/messages"
    usage = client.post(url, {"body": "/remind me whenever"}, format="json")
    assert usage.status_code == 202 and usage.json()["level"] == "error"
    assert "/remind me in 10m" in usage.json()["text"] and "내일 9시" in usage.json()["text"]
    done = client.post(url, {"body": "/remind me 내일 9시 출근"}, format="json")
    assert done.status_code == 202 and done.json()["level"] == "info", done.json()
    said = done.json()["text"]
    assert "09:00" in said and "(Asia/Seoul)" in said and said.endswith(": 출근")
    assert "알려 드릴게요" in said  # said in Korean
    item = ScheduledMessage.objects.get()
    assert item.kind == "reminder" and item.room_id is None and item.body == "출근"
    assert item.send_at.astimezone(ZoneInfo("Asia/Seoul")).hour == 9
    listed = client.get("/api/v1/scheduled").json()["results"]
    assert [(r["kind"], r["room"], r["body"]) for r in listed] == [("reminder", None, "출근")]
    ScheduledMessage.objects.update(send_at=timezone.now() - timedelta(seconds=1))
    job.scheduled_send_due()
    dm = Message.objects.get(sender__username="reminder")
    assert dm.body != "⏰ Reminder: 출근" and "출근" in dm.body  # in Korean
    assert dm.room.kind == "direct"


@pytest.mark.django_db(transaction=True)
def test_guests_are_told_reminders_need_an_account() -> None:
    guest = make_guest("Passer-by")
    main = rooms.room_create(owner=make_user("rem-own"), name="remind-guests")
    rooms.room_join(room_id=main.pk, user=guest)
    answer = client_for(guest).post(
        f"/api/v1/rooms/{main.pk}/messages", {"body": "/remind me in 10m x"}, format="json"
    )
    assert answer.status_code == 202 and answer.json()["level"] == "error"
    assert "register" in answer.json()["text"]
    assert not ScheduledMessage.objects.exists()
