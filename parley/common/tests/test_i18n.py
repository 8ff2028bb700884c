"""The server answers in the reader's language (docs/i18n.md, "Server"): REST by
Accept-Language, else the signed-in user's saved language; WebSocket by `?lang=`, the saved
language, then the handshake's Accept-Language; mail in the recipient's saved language;
the admin's own labels too. What people wrote is never translated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.notify import services as notify
from parley.rooms import services as rooms
from parley.testing.api import PASSWORD, client_for, make_user, token_for
from parley.testing.ws import ORIGIN, WsClient

LOGIN = "/api/v1/auth/login"
RESET = "/api/v1/auth/password-reset"
WRONG_PASSWORD = {
    "en": "Wrong username or password.",
    "ko": "사용자 이름 또는 비밀번호가 올바르지 않습니다.",
    "zh-hans": "用户名或密码错误。",
    "ja": "ユーザー名またはパスワードが違います。",
}
NOT_MEMBER = {
    "en": "You are not a member of this room.",
    "ko": "이 방의 멤버가 아닙니다.",
    "zh-hans": "你不是本房间的成员。",
    "ja": "このルームのメンバーではありません。",
}


def login_error(client: APIClient, **headers: Any) -> Any:
    make_user("lingua")
    return client.post(
        LOGIN, {"username": "lingua", "password": "not-the-password"}, format="json", **headers
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "zh-hans", "ja"])
def test_a_wrong_password_is_answered_in_the_accept_language(language: str) -> None:
    r = login_error(APIClient(), HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "invalid_credentials",
        "message": WRONG_PASSWORD[language],
        "fields": {},
    }
    assert r.headers["Content-Language"] == language


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "language"),
    [("", "en"), ("fr-FR,fr;q=0.9", "en"), ("ko-KR,ko;q=0.9,en;q=0.5", "ko"), ("zh-CN,zh;q=0.9", "zh-hans")],
)
def test_browsers_language_headers_pick_the_nearest_language_or_english(header: str, language: str) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    assert login_error(APIClient(), **headers).json()["error"]["message"] == WRONG_PASSWORD[language]


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_refused_in_the_readers_language() -> None:
    r = APIClient().post(LOGIN, "{oops", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "bad_json", "message": "请求正文不是有效的 JSON。", "fields": {}}


def _refusal(client: APIClient, **headers: Any) -> str:
    """A refusal that needs a signed-in user: a room with a visibility nobody knows."""
    r = client.post("/api/v1/rooms", {"name": "tower", "visibility": "sideways"}, format="json", **headers)
    assert r.status_code == 400
    return str(r.json()["error"]["message"])


@pytest.mark.django_db
def test_a_signed_in_user_without_accept_language_gets_their_saved_language() -> None:
    user = make_user("hanako")
    user.language = "ja"
    user.save(update_fields=["language"])
    japanese = "一部の項目が正しくありません。"
    assert _refusal(client_for(user)) == japanese  # token
    session = APIClient()
    session.force_login(user)
    assert _refusal(session) == japanese  # session cookie
    # The header, when there is one, wins: the client sends the language shown on screen.
    assert _refusal(client_for(user), HTTP_ACCEPT_LANGUAGE="ko") == "일부 항목이 올바르지 않습니다."
    english = make_user("plain")
    assert _refusal(client_for(english)) == "Some fields are not valid."


@pytest.mark.django_db
def test_throttled_requests_are_told_when_to_come_back_in_their_language(settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "register": "1/hour"}
    client = APIClient()
    client.post("/api/v1/auth/register", {"username": "first1", "password": PASSWORD}, format="json")
    r = client.post(
        "/api/v1/auth/register",
        {"username": "second2", "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert r.status_code == 429
    message = r.json()["error"]["message"]
    # An hour's wait is told in minutes ("in 3597 seconds" made people do the sum).
    assert message.startswith("リクエストが多すぎます。") and "分後にもう一度お試しください。" in message
    english = client.post(
        "/api/v1/auth/register", {"username": "third3", "password": PASSWORD}, format="json"
    ).json()["error"]["message"]
    assert english == "Too many requests; try again in 60 minutes."
    cache.clear()


# --- WebSocket -------------------------------------------------------------------------------


@database_sync_to_async
def _outsider(language: str = "en") -> tuple[str, int]:
    owner = make_user("ws-owner")
    room = rooms.room_create(owner=owner, name="closed-circle", visibility="private")
    stranger = make_user("ws-stranger")
    stranger.language = language
    stranger.save(update_fields=["language"])
    return token_for(stranger), room.pk


async def _socket(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> WsClient:
    from config.asgi import application

    client = WsClient()
    client.comm = WebsocketCommunicator(application, path, headers=[ORIGIN, *(headers or [])])
    ok, _code = await client.connect()
    assert ok
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("query", "saved", "accept", "language"),
    [
        ("&lang=ko", "ja", "zh-CN", "ko"),  # the URL's lang first
        ("&lang=fr", "ja", "ko", "ja"),  # not one of ours: the saved language
        ("", "en", "zh-Hans,en;q=0.5", "en"),  # a saved language beats the handshake's header
        ("&lang=zh-hans", "en", "", "zh-hans"),
    ],
)
async def test_websocket_errors_come_in_the_sockets_language(
    query: str, saved: str, accept: str, language: str
) -> None:
    token, room = await _outsider(saved)
    headers = [(b"accept-language", accept.encode())] if accept else []
    client = await _socket(f"/ws/?token={token}{query}", headers)
    try:
        await client.send({"type": "typing", "room": room})
        error = await client.recv_type("error")
        assert error["code"] == "not_member"
        assert error["message"] == NOT_MEMBER[language]
        # A send to a room one is not in is refused by the send batch, on another thread.
        await client.send({"type": "send", "room": room, "body": "こんにちは", "client_id": "c-1"})
        error = await client.recv_type("error")
        assert error["ref"] == "c-1" and error["code"] == "not_found"
        assert (
            error["message"]
            == {
                "en": "No such room.",
                "ko": "해당 방이 없습니다.",
                "zh-hans": "找不到该房间。",
                "ja": "そのルームはありません。",
            }[language]
        )
    finally:
        await client.close()


@database_sync_to_async
def _member(language: str) -> tuple[str, int]:
    owner = make_user("cmd-owner")
    owner.language = language
    owner.save(update_fields=["language"])
    room = rooms.room_create(owner=owner, name="commands-here")
    return token_for(owner), room.pk


@pytest.mark.django_db(transaction=True)
async def test_command_notices_follow_the_socket_but_messages_stay_as_written() -> None:
    token, room = await _member("en")
    client = await _socket(f"/ws/?token={token}&lang=ja")
    other = await _socket(f"/ws/?token={token}&lang=ko")
    try:
        await client.send({"type": "send", "room": room, "body": "/nosuch", "client_id": "n-1"})
        notice = await client.recv_type("notice")
        assert (
            notice["text"]
            == "不明なコマンド /nosuch です。/help と入力すると、このルームのコマンドが表示されます。"
        )
        await client.send({"type": "send", "room": room, "body": "/help", "client_id": "n-2"})
        notice = await client.recv_type("notice")
        assert notice["text"].startswith("このルームのコマンド:\n")
        assert "/leave — このルームから退出" in notice["text"]
        await client.send({"type": "send", "room": room, "body": "Good morning", "client_id": "n-3"})
        delivered = await other.recv_type("message")
        assert delivered["message"]["body"] == "Good morning"
    finally:
        await client.close()
        await other.close()


# --- mail and the admin ----------------------------------------------------------------------


@pytest.mark.django_db
def test_mail_is_written_in_the_recipients_language_whatever_the_request_says() -> None:
    user = make_user("xiaoming")
    user.email, user.email_verified, user.language = "xm@example.org", True, "zh-hans"
    user.save()
    r = APIClient().post(RESET, {"login": "xiaoming"}, format="json", HTTP_ACCEPT_LANGUAGE="ja")
    assert r.status_code == 202
    (message,) = mail.outbox
    assert isinstance(message, mail.EmailMultiAlternatives)
    assert message.subject == "重置你的 Parley 密码"
    assert "xiaoming，你好：" in message.body
    assert "如果这不是你的请求，请忽略此邮件，你的密码不会改变。" in message.body
    html = str(message.alternatives[0][0])
    assert '<html lang="zh-hans">' in html and "设置新密码" in html
    assert "Reset" not in message.subject + message.body


@pytest.mark.django_db
def test_the_admin_shows_parleys_own_labels_translated() -> None:
    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client = Client()
    client.force_login(boss)
    page = client.get(reverse("admin:rooms_room_changelist"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "閉鎖（メンバーに通知され、履歴は残ります）" in page  # the custom action
    assert "公開範囲" in page  # a field's verbose_name (a list filter)
    assert "閉鎖済み" in page  # the custom list filter's choice
    english = client.get(reverse("admin:rooms_room_changelist")).content.decode()
    assert "Close (members are told; history stays)" in english


@pytest.mark.django_db
def test_a_digest_is_in_the_recipients_language_and_quotes_messages_as_written() -> None:
    reader, talker = make_user("minsu"), make_user("talker")
    reader.email, reader.email_verified, reader.language = "minsu@example.org", True, "ko"
    reader.digest_through = timezone.now() - timedelta(hours=2)
    reader.save()
    room = rooms.room_create(owner=talker, name="news")
    rooms.room_join(room_id=room.pk, user=reader)
    for i in range(2):
        message_send(sender=talker, room_id=room.pk, body=f"See you at {i} o'clock", client_id=f"d{i}")
    Message.objects.filter(room=room).update(created_at=timezone.now() - timedelta(hours=1))
    assert notify.digests_send_due() == 1
    (message,) = mail.outbox
    assert message.subject == "자리를 비운 사이 Parley에 새 메시지 2개"
    assert "minsu님, 안녕하세요." in message.body and "새 메시지 2개" in message.body
    assert "See you at 0 o'clock" in message.body  # what people wrote stays as written
    assert "이 메일 그만 받기:" in message.body


@pytest.mark.django_db
def test_the_unsubscribe_page_follows_the_browsers_language() -> None:
    token = notify.unsubscribe_token(make_user("yuki"))
    page = Client().get(f"/api/v1/mail/unsubscribe?token={token}", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in page
    assert "ダイジェストメールを停止" in page and "Stop" not in page


@pytest.mark.django_db
def test_a_new_account_starts_in_the_language_it_registered_in() -> None:
    r = APIClient().post(
        "/api/v1/auth/register",
        {"username": "jiwoo", "password": PASSWORD, "email": "jiwoo@example.org"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert r.status_code == 201
    assert User.objects.get(username="jiwoo").language == "ko"
    (message,) = mail.outbox  # the address check, sent at once: already in Korean
    assert message.subject == "Parley 이메일 주소 확인"
    guest = APIClient().post(
        "/api/v1/auth/guest", {"nickname": "たろう"}, format="json", HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert User.objects.get(pk=guest.json()["user"]["id"]).language == "ja"
    plain = APIClient().post(
        "/api/v1/auth/guest", {"nickname": "Sam"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert User.objects.get(pk=plain.json()["user"]["id"]).language == "en"
