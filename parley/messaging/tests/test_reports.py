"""Reports: members report a message once; staff page through the queue and resolve with one action."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.accounts.models import AuthToken
from parley.messaging.models import Message, Report, RoomEvent
from parley.rooms import services as rooms
from parley.rooms.models import Ban, Membership
from parley.testing.api import client_for, error_of, make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def w() -> dict[str, Any]:
    owner, author, alice, bob = make_user(), make_user(), make_user(), make_user()
    room = rooms.room_create(owner=owner, name="reports")
    for user in (author, alice, bob):
        rooms.room_join(room_id=room.pk, user=user)
    staff = make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    r = client_for(author).post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "buy cheap pills", "client_id": "spam-1"}, format="json"
    )
    return {"room": room.pk, "owner": owner, "author": author, "alice": alice, "bob": bob, "staff": staff,
            "message": r.json()["id"]}  # fmt: skip


def _report(user: Any, message: int, **body: Any) -> Any:
    return client_for(user).post(
        f"/api/v1/messages/{message}/reports", {"category": "spam", **body}, format="json"
    )


def test_a_member_reports_once_and_learns_nothing_of_other_reports(w: dict[str, Any]) -> None:
    r = _report(w["alice"], w["message"], text="  pills again  ")
    assert r.status_code == 201
    assert set(r.json()) == {"id", "message_id", "category", "text", "created_at"}
    assert (r.json()["message_id"], r.json()["text"]) == (w["message"], "pills again")
    again = _report(w["alice"], w["message"], category="abuse")
    assert again.status_code == 409 and error_of(again)["code"] == "already_reported"
    second = _report(w["bob"], w["message"])
    assert second.status_code == 201 and "reporter" not in second.json()
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("author", {}, 400, "own_message"),
        ("stranger", {}, 403, "not_member"),
        ("alice", {"category": "nonsense"}, 400, "invalid"),
        ("alice", {"category": "other"}, 400, "invalid"),
        ("alice", {"text": "bad\u202etext"}, 400, "invalid"),
        ("alice", {"text": "x" * 1001}, 400, "invalid"),
    ],
)
def test_bad_reports_are_refused_clearly(
    w: dict[str, Any], who: str, body: dict[str, Any], status: int, code: str
) -> None:
    user = make_user() if who == "stranger" else w[who]
    r = _report(user, w["message"], **body)
    assert r.status_code == status and error_of(r)["code"] == code
    assert _report(w["alice"], 999999).status_code == 404
    assert not Report.objects.exists()


def test_only_staff_see_the_queue_paged_newest_first(w: dict[str, Any]) -> None:
    for i in range(5):
        mid = (
            client_for(w["author"])
            .post(
                f"/api/v1/rooms/{w['room']}/messages",
                {"body": f"more {i}", "client_id": f"m{i}"},
                format="json",
            )
            .json()["id"]
        )
        _report(w["alice"], mid)
    for user in (w["alice"], w["owner"]):
        r = client_for(user).get("/api/v1/reports")
        assert r.status_code == 403 and error_of(r)["code"] == "staff_only"
        r = client_for(user).post("/api/v1/reports/1/resolve", {"action": "dismiss"}, format="json")
        assert r.status_code == 403
    staff = client_for(w["staff"])
    first = staff.get("/api/v1/reports", {"limit": 3}).json()
    with CaptureQueriesContext(connection) as q:
        rest = staff.get("/api/v1/reports", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(q) <= 2  # the token, the page with its message, room and people
    ids = [x["id"] for x in first["results"] + rest["results"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5 and rest["next_cursor"] is None
    item = rest["results"][-1]
    assert item["message"]["excerpt"] == "more 0" and item["room"] == {"id": w["room"], "name": "reports"}
    assert item["reporter"]["id"] == w["alice"].pk and item["status"] == "open"
    assert staff.get("/api/v1/reports", {"status": "bogus"}).status_code == 400


def test_resolving_deletes_through_the_service_and_closes_every_report_of_the_message(
    w: dict[str, Any],
) -> None:
    a = _report(w["alice"], w["message"]).json()["id"]
    _report(w["bob"], w["message"])
    staff = client_for(w["staff"])
    r = staff.post(f"/api/v1/reports/{a}/resolve", {"action": "delete_message"}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["action"]) == ("resolved", "delete_message")
    assert r.json()["resolved_by"]["id"] == w["staff"].pk
    assert Message.objects.get(pk=w["message"]).deleted
    assert RoomEvent.objects.filter(kind="message.deleted", message_id=w["message"]).count() == 1
    assert set(Report.objects.values_list("status", flat=True)) == {"resolved"}
    again = staff.post(f"/api/v1/reports/{a}/resolve", {"action": "dismiss"}, format="json")
    assert again.status_code == 409 and error_of(again)["code"] == "already_resolved"
    assert staff.get("/api/v1/reports").json()["results"] == []
    assert len(staff.get("/api/v1/reports", {"status": "resolved"}).json()["results"]) == 2


@pytest.mark.parametrize("action", ["dismiss", "mute_author", "ban_author", "deactivate_author"])
def test_each_action_acts_on_the_author(w: dict[str, Any], action: str) -> None:
    rid = _report(w["alice"], w["message"]).json()["id"]
    client_for(w["author"])  # a token for the author, which deactivation ends
    r = client_for(w["staff"]).post(
        f"/api/v1/reports/{rid}/resolve", {"action": action, "duration": 600}, format="json"
    )
    assert r.status_code == 200, r.content
    author = w["author"]
    membership = Membership.objects.filter(user=author, room_id=w["room"]).first()
    author.refresh_from_db()
    assert (membership is not None and membership.muted) == (action == "mute_author")
    assert Ban.objects.filter(user=author).exists() == (action == "ban_author")
    assert (membership is None) == (action == "ban_author")
    assert author.is_active == (action != "deactivate_author")
    assert AuthToken.objects.filter(user=author).exists() == (action != "deactivate_author")
    assert not Message.objects.get(pk=w["message"]).deleted


def test_bad_actions_change_nothing(w: dict[str, Any]) -> None:
    rid = _report(w["alice"], w["message"]).json()["id"]
    staff = client_for(w["staff"])
    for body in ({"action": "explode"}, {}, {"action": "mute_author", "duration": 0}):
        assert staff.post(f"/api/v1/reports/{rid}/resolve", body, format="json").status_code == 400
    assert (
        staff.post("/api/v1/reports/999999/resolve", {"action": "dismiss"}, format="json").status_code == 404
    )
    assert Report.objects.get(pk=rid).status == "open"


def test_staff_read_a_reported_message_in_context_without_joining(w: dict[str, Any]) -> None:
    """Staff judge a report by what was said around it, in a private room they are not in."""
    private = rooms.room_create(owner=w["owner"], name="hidden", visibility="private")
    rooms.member_add(room_id=private.pk, actor=w["owner"], username=w["author"].username)
    post = client_for(w["author"])
    ids = [
        post.post(
            f"/api/v1/rooms/{private.pk}/messages",
            {"body": f"line {i}", "client_id": f"c-{i}"},
            format="json",
        ).json()["id"]
        for i in range(5)
    ]
    report = client_for(w["owner"]).post(
        f"/api/v1/messages/{ids[2]}/reports", {"category": "spam"}, format="json"
    )
    assert report.status_code == 201, report.content
    url = f"/api/v1/reports/{report.json()['id']}/context"

    r = client_for(w["staff"]).get(url)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["message_id"], body["room"]) == (ids[2], {"id": private.pk, "name": "hidden"})
    assert [m["id"] for m in body["messages"]] == ids
    assert (body["has_more_before"], body["has_more_after"]) == (False, False)
    assert not Membership.objects.filter(room=private, user=w["staff"]).exists()

    for who in ("owner", "author", "alice"):
        refused = client_for(w[who]).get(url)
        assert (refused.status_code, error_of(refused)["code"]) == (403, "staff_only"), who
    missing = client_for(w["staff"]).get("/api/v1/reports/999999/context")
    assert missing.status_code == 404
    assert client_for(w["staff"]).post(url, {}, format="json").status_code == 405
