"""Digests in process: one mail per burst after the delay, none while online, unsubscribe."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from parley.messaging import threads
from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.notify import selectors, services
from parley.rooms import services as rooms
from parley.rooms.models import Membership
from parley.testing.api import make_user

pytestmark = pytest.mark.django_db


def _setup() -> dict[str, Any]:
    reader, talker = make_user("reader"), make_user("talker")
    reader.email, reader.email_verified = "reader@example.org", True
    reader.digest_through = timezone.now() - timedelta(hours=1)
    reader.save()
    room = rooms.room_create(owner=talker, name="news")
    rooms.room_join(room_id=room.pk, user=reader)
    return {"reader": reader, "talker": talker, "room": room}


def _send(s: dict[str, Any], n: int, age: timedelta, start: int = 0) -> None:
    for i in range(start, start + n):
        message_send(sender=s["talker"], room_id=s["room"].pk, body=f"item {i}", client_id=f"c{i}")
    Message.objects.filter(body__in=[f"item {i}" for i in range(start, start + n)]).update(
        created_at=timezone.now() - age
    )


def test_one_digest_for_a_burst_once_it_has_waited(settings: Any) -> None:
    settings.MAIL_DIGEST_DELAY = 900
    s = _setup()
    _send(s, 3, timedelta(minutes=5))
    assert services.digests_send_due() == 0  # not waited long enough
    _send(s, 2, timedelta(minutes=20), start=3)
    assert services.digests_send_due() == 1
    assert services.digests_send_due() == 0  # everything is reported: no second mail
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert "5 new messages" in message.subject
    assert all(f"item {i}" in str(message.body) for i in range(5))


def test_no_digest_for_read_messages_disabled_users_or_online_users(settings: Any, monkeypatch: Any) -> None:
    s = _setup()
    _send(s, 2, timedelta(hours=1) - timedelta(minutes=1))
    monkeypatch.setattr(services, "online_user_ids", lambda: frozenset({s["reader"].pk}))
    assert services.digests_send_due() == 0
    monkeypatch.setattr(services, "online_user_ids", lambda: frozenset())
    s["reader"].digest_enabled = False
    s["reader"].save()
    assert services.digests_send_due() == 0
    assert mail.outbox == []


def test_the_unsubscribe_link_shows_a_button_and_the_post_turns_digests_off() -> None:
    s = _setup()
    token = services.unsubscribe_token(s["reader"])
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/api/v1/mail/unsubscribe?token={token}")
    assert page.status_code == 200 and b"Stop digest mails" in page.content
    s["reader"].refresh_from_db()
    assert s["reader"].digest_enabled  # a GET changes nothing
    done = client.post(f"/api/v1/mail/unsubscribe?token={token}", {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    s["reader"].refresh_from_db()
    assert not s["reader"].digest_enabled
    assert client.post("/api/v1/mail/unsubscribe?token=forged").status_code == 400
    assert re.search(rb"invalid", client.post("/api/v1/mail/unsubscribe?token=forged").content)


def test_replies_in_followed_threads_are_reported_by_the_rooms_notification_level() -> None:
    """Protocol 3: a followed thread's unread replies are in the digest ("all": every one;
    "mentions": those that mention the reader; "nothing": none); unfollowed threads' replies
    and replies read in the thread are not; the room's flow leaves out thread replies."""
    s = _setup()
    root = message_send(sender=s["reader"], room_id=s["room"].pk, body="my question").message
    other = message_send(sender=s["talker"], room_id=s["room"].pk, body="their question").message
    for body, thread in (("plain reply", root), ("hey @reader", root), ("not followed", other)):
        message_send(sender=s["talker"], room_id=s["room"].pk, body=body, thread=thread.pk)

    def reported(notify: str) -> list[str]:
        Membership.objects.filter(room=s["room"], user=s["reader"]).update(notify=notify)
        return [m.body for m in selectors.missed_messages(user=s["reader"], since=None)]

    assert reported("all") == ["their question", "plain reply", "hey @reader"]
    assert reported("mentions") == ["their question", "hey @reader"]
    assert reported("nothing") == ["their question"]
    threads.thread_mark_read(user=s["reader"], message_id=root.pk, seq=10**6)
    assert reported("all") == ["their question"]
