"""settings.LANGUAGES is the one list of languages (docs/i18n.md, "Adding a language"):
a language added there is valid everywhere the server takes one, and the client's
generated list follows it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.common import languages
from parley.common.i18n import from_accept_language, socket_language
from parley.testing.api import PASSWORD, client_for, error_of, make_user

# French: Django ships its catalogue, so Django's negotiation knows the language exists.
WITH_FRENCH = [*settings.LANGUAGES, ("fr", "Français")]


def test_the_committed_client_list_is_current(tmp_path: Path) -> None:
    out = tmp_path / "languages.json"
    assert languages.main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == languages.LANGUAGES_PATH.read_text(encoding="utf-8"), (
        "run `make protocol` and commit docs/api/languages.json and frontend/src/i18n/languages.gen.ts"
    )


def test_the_client_list_spells_each_language_for_intl_and_the_browser() -> None:
    listed = {entry["code"]: entry for entry in languages.client_languages()["languages"]}
    assert list(listed) == [code for code, _name in settings.LANGUAGES]
    assert listed["zh-hans"] == {"code": "zh-hans", "name": "简体中文", "bcp47": "zh-Hans", "match": "zh"}
    assert listed["ko"]["bcp47"] == "ko"


@pytest.mark.django_db
def test_a_language_added_to_the_setting_is_valid_everywhere() -> None:
    with override_settings(LANGUAGES=WITH_FRENCH):
        # Registration starts the account in the request's language...
        r = APIClient().post(
            "/api/v1/auth/register",
            {"username": "amelie", "password": PASSWORD},
            format="json",
            HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
        )
        assert r.status_code == 201, r.content
        assert User.objects.get(username="amelie").language == "fr"
        # ...and the profile takes it (it refused it while it kept a list of its own).
        user = make_user("bruno")
        r = client_for(user).patch("/api/v1/me", {"language": "fr"}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["user"]["language"] == "fr"
        # Negotiation (REST's Accept-Language, the socket's lang=) finds it too.
        assert from_accept_language("fr-CA") == "fr"
        assert socket_language({"lang": ["fr"]}, None, "") == "fr"
        # The client's generated list and the catalogues `make messages` keeps follow.
        rendered = json.loads(languages.render())
        assert {"code": "fr", "name": "Français", "bcp47": "fr", "match": "fr"} in rendered["languages"]
        assert "fr" in languages.gettext_locales()
    # Without it in the setting, the same request is refused with the list it does accept.
    r = client_for(user).patch("/api/v1/me", {"language": "fr"}, format="json")
    assert r.status_code == 400
    assert "language" in error_of(r)["fields"]
    assert "fr" not in languages.render()
