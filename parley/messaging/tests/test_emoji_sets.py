"""The emoji the web client offers are the emoji the server takes: every entry of the
picker's data (emojibase-data, read from the client's installed packages) and the quick
row passes the server's check, and a picker's spelling with a spare variation selector
counts as the same reaction as the plain one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from parley.messaging.services import clean_emoji
from parley.testing.api import client_for, make_user
from parley.testing.live import unavailable

FRONTEND = Path(settings.BASE_DIR) / "frontend"
EMOJIBASE = FRONTEND / "node_modules" / "emojibase-data" / "en" / "compact.json"
COMPONENT_GROUP = 2  # skin-tone and hair swatches: not offered (frontend/src/utils/emoji.ts)


def offered_by_the_picker() -> list[str]:
    if not EMOJIBASE.exists():
        unavailable("the web client's packages are not installed (make frontend)")
    data: list[dict[str, Any]] = json.loads(EMOJIBASE.read_text(encoding="utf-8"))
    return [e["unicode"] for e in data if e.get("group") is not None and e["group"] != COMPONENT_GROUP]


def quick_row() -> list[str]:
    source = (FRONTEND / "src" / "utils" / "emoji.ts").read_text(encoding="utf-8")
    found = re.search(r"QUICK_EMOJI = \[(.*?)\] as const", source)
    assert found, "QUICK_EMOJI not found in frontend/src/utils/emoji.ts"
    return re.findall(r"'([^']+)'", found.group(1))


def test_every_emoji_the_client_offers_is_one_the_server_takes() -> None:
    offered = [*quick_row(), *offered_by_the_picker()]
    refused = []
    for emoji in offered:
        try:
            clean_emoji(emoji)
        except Exception:
            refused.append(emoji)
    assert len(offered) > 1500
    assert refused == [], f"{len(refused)} emoji the picker offers are refused: {refused[:20]}"


@pytest.mark.django_db
def test_a_spare_variation_selector_is_the_same_reaction() -> None:
    owner = make_user("owner")
    api = client_for(owner)
    room = api.post("/api/v1/rooms", {"name": "emoji"}, format="json").json()
    msg = api.post(
        f"/api/v1/rooms/{room['id']}/messages", {"body": "hi", "client_id": "e1"}, format="json"
    ).json()
    assert api.post(f"/api/v1/messages/{msg['id']}/reactions/{quote('👍')}").status_code == 200
    # The picker's spelling: 👍 followed by VARIATION SELECTOR-16.
    r = api.delete(f"/api/v1/messages/{msg['id']}/reactions/{quote('👍' + chr(0xFE0F))}")
    assert r.status_code == 200, r.content
    assert r.json()["reactions"] == []
