"""docs/bots.md's example bot is real: under 30 lines, and it answers in a room."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from parley.bots.handlers import Call
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user
from parley.testing.live import ROOT
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


def _example() -> str:
    text = (ROOT / "docs" / "bots.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)[0]


@pytest.fixture
def example_module(settings: Any) -> Iterator[types.ModuleType]:
    module = types.ModuleType("parley_docs_example")
    exec(compile(_example(), "docs/bots.md", "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    settings.BOTS = {
        **settings.BOTS,
        "decide": {"HANDLER": "parley_docs_example.DecideBot", "NAME": "Decider"},
    }
    yield module
    del sys.modules[module.__name__]


def test_the_example_is_under_30_lines() -> None:
    assert len(_example().strip().splitlines()) < 30


def test_the_example_bot_answers_its_commands_in_a_room(example_module: types.ModuleType) -> None:
    bot = example_module.DecideBot()
    assert bot.handle(Call("pick", "tea, tea", 1, 1, "Ada")).startswith("Give me at least two")
    owner = make_user()
    room = rooms.room_create(owner=owner, name="decisions")
    api = client_for(owner)
    commands = {c["name"]: c for c in api.get(f"/api/v1/rooms/{room.pk}/commands").json()}
    assert commands["pick"] == {
        "name": "pick",
        "usage": "tea, coffee",
        "help": "Pick one of a comma-separated list",
        "bot": "Decider",
    }
    asked = api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "/pick tea, coffee"}, format="json")
    assert asked.status_code == 201
    answer = wait_until(
        lambda: Message.objects.filter(room=room, sender__is_bot=True).select_related("sender").first(),
        what="the bot's answer",
    )
    assert answer.sender.username == "decide"
    assert answer.body in ("I pick tea.", "I pick coffee.") and answer.reply_to_id == asked.json()["id"]
