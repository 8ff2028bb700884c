"""Time zones (issue 27): a new account or guest starts in the browser's zone, a name nobody
knows is refused and never stored, and the picker's list offers each zone once, by region and
city, every one of them a zone the server takes."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.testing.api import PASSWORD, client_for, error_of, make_user

pytestmark = pytest.mark.django_db


def _register(**extra: Any) -> Any:
    body = {"username": f"tz{User.objects.count()}", "password": PASSWORD, **extra}
    return APIClient().post("/api/v1/auth/register", body, format="json")


def _guest(**extra: Any) -> Any:
    return APIClient().post(
        "/api/v1/auth/guest", {"nickname": f"Wanderer {User.objects.count()}", **extra}, format="json"
    )


@pytest.mark.parametrize("sign_up", [_register, _guest])
def test_a_new_account_or_guest_starts_in_the_browsers_zone(sign_up: Any) -> None:
    r = sign_up(time_zone="Asia/Seoul")
    assert r.status_code == 201, r.content
    assert r.json()["user"]["time_zone"] == "Asia/Seoul"
    assert User.objects.get(pk=r.json()["user"]["id"]).time_zone == "Asia/Seoul"


@pytest.mark.parametrize("sign_up", [_register, _guest])
def test_a_browsers_legacy_name_is_stored_as_the_zone_the_picker_lists(sign_up: Any) -> None:
    """Chromium reports India as Asia/Calcutta (CLDR's id); it is taken, stored as Asia/Kolkata."""
    r = sign_up(time_zone="Asia/Calcutta")
    assert r.status_code == 201, r.content
    assert r.json()["user"]["time_zone"] == "Asia/Kolkata"
    assert sign_up(time_zone="Etc/UTC").json()["user"]["time_zone"] == "UTC"


@pytest.mark.parametrize("sign_up", [_register, _guest])
def test_a_zone_nobody_knows_is_refused_clearly_and_nothing_is_stored(sign_up: Any) -> None:
    before = User.objects.count()
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 65):
        r = sign_up(time_zone=bad)
        assert r.status_code == 400, (bad, r.content)
        assert list(error_of(r)["fields"]) == ["time_zone"]
    assert User.objects.count() == before


@pytest.mark.parametrize("sign_up", [_register, _guest])
def test_no_zone_sent_means_utc(sign_up: Any) -> None:
    assert sign_up().json()["user"]["time_zone"] == "UTC"
    assert sign_up(time_zone="").json()["user"]["time_zone"] == "UTC"


def test_the_picker_lists_each_zone_once_by_region_and_city_and_all_are_accepted() -> None:
    r = APIClient().get("/api/v1/time-zones")  # no account needed: the sign-up page uses it
    assert r.status_code == 200
    zones = r.json()["zones"]
    ids = [z["id"] for z in zones]
    assert len(ids) == len(set(ids)) > 300
    by_id = {z["id"]: z for z in zones}
    assert by_id["Asia/Seoul"] == {"id": "Asia/Seoul", "region": "Asia", "city": "Seoul", "country": "KR"}
    assert by_id["Asia/Shanghai"]["country"] == "CN" and by_id["Asia/Pyongyang"]["country"] == "KP"
    assert by_id["America/Argentina/Buenos_Aires"]["city"] == "Buenos Aires"
    assert ids[0] == "UTC"
    # Backward-compatible aliases are not offered a second time.
    assert not {"US/Pacific", "Asia/Calcutta", "Europe/Kiev", "Etc/UTC", "Japan", "ROK"} & set(ids)
    # Every zone offered is one the server stores as offered.
    client = client_for(make_user())
    for zone_id in ids:
        r = client.patch("/api/v1/me", {"time_zone": zone_id}, format="json")
        assert (zone_id, r.status_code, r.json()["user"]["time_zone"]) == (zone_id, 200, zone_id)
