"""Slack's markup and emoji names as Parley's (parley/actions/slack_markup.py)."""

from __future__ import annotations

import pytest

from parley.actions.slack_markup import emoji_for, to_markdown

USERS = {"U1": "alice", "U2": "bob.k"}
ROOMS = {"C1": "general-2"}


def md(text: str) -> str:
    return to_markdown(text, resolve_user=USERS.get, resolve_room=ROOMS.get)


@pytest.mark.parametrize(
    ("slack", "parley"),
    [
        ("hi <@U1> and <@U2|bob>", "hi @alice and @bob.k"),
        ("ask <@U9|zed>", "ask @zed"),  # not imported: the label Slack kept
        ("see <#C1|general> or <#C7|random>", "see #general-2 or #random"),
        (
            "<https://ex.com/a_b?x=1&amp;y=2|the_doc> and <https://ex.org>",
            "[the_doc](https://ex.com/a_b?x=1&y=2) and https://ex.org",
        ),
        ("<mailto:a@b.org|a@b.org>", "a@b.org"),
        ("<!here> <!channel> <!everyone>", "@room @room @room"),
        ("*bold* _it_ ~gone~", "**bold** *it* ~~gone~~"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("`*not bold*` and ```\n_kept_ &amp;\n```", "`*not bold*` and ```\n_kept_ &\n```"),
        ("a &lt;tag&gt; &amp; more", "a <tag> & more"),
    ],
)
def test_markup(slack: str, parley: str) -> None:
    assert md(slack) == parley


def test_emoji_names() -> None:
    assert emoji_for("+1") == emoji_for("thumbsup") == "👍"
    assert emoji_for("thumbsup::skin-tone-3") == "👍🏼"
    assert emoji_for("tada") == "🎉"
    assert emoji_for("simple_smile") == "🙂"
    assert emoji_for("party-parrot") is None  # a workspace's own
