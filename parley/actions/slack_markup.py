"""Slack's message markup ("mrkdwn") as Parley's Markdown, and Slack's emoji names as Unicode.

Slack escapes `&`, `<` and `>` in text and writes links, mentions and channel references
in angle brackets; its emphasis uses single characters (`*bold*`, `_italic_`, `~strike~`).
Code spans and blocks are left as they are (Slack does not format inside them either)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import emoji as emoji_data

_ANGLE = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
# Emphasis as Slack reads it: the marker after a start, a space or punctuation, text that
# neither starts nor ends with a space, and the marker before an end, space or punctuation.
_EMPHASIS = {
    "*": (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"**\1**"),
    "_": (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"*\1*"),
    "~": (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), r"~~\1~~"),
}
_SKIN_TONE = re.compile(r"::skin-tone-([2-6])$")
_TONES = {"2": "\U0001f3fb", "3": "\U0001f3fc", "4": "\U0001f3fd", "5": "\U0001f3fe", "6": "\U0001f3ff"}
# Slack names the emoji library spells otherwise (or not at all).
_EMOJI_EXTRA = {
    "simple_smile": "\U0001f642",
    "thumbsup_all": "\U0001f44d",
    "slightly_smiling_face": "\U0001f642",
    "white_frowning_face": "\u2639\ufe0f",
    "squirrel": "\U0001f43f\ufe0f",
}


def emoji_for(name: str) -> str | None:
    """The Unicode emoji a Slack reaction name stands for (`+1`, `thumbsup::skin-tone-3`), or
    None when it is not one (a workspace's custom emoji)."""
    tone = ""
    match = _SKIN_TONE.search(name)
    if match:
        tone = _TONES[match.group(1)]
        name = name[: match.start()]
    found = _EMOJI_EXTRA.get(name) or emoji_data.emojize(f":{name}:", language="alias")
    if found == f":{name}:":
        found = emoji_data.emojize(f":{name}:", language="en")
    if not emoji_data.is_emoji(found):
        return None
    if tone:
        toned = found.replace("\ufe0f", "") + tone
        if emoji_data.is_emoji(toned):
            return toned
    return found


def _angle(
    resolve_user: Callable[[str], str | None], resolve_room: Callable[[str], str | None]
) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _bar, label = inner.partition("|")
        if target.startswith("@"):
            name = resolve_user(target[1:])
            return f"@{name}" if name else f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{resolve_room(target[1:]) or label or target[1:]}"
        if target.startswith("!"):
            special = target[1:].split("^")[0]
            if special in {"here", "channel", "everyone"}:
                return "@room"
            return label or f"@{special}"
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if label and label != target:
            return f"[{label}]({target})"
        return target

    return replace


def to_markdown(
    text: str,
    *,
    resolve_user: Callable[[str], str | None] = lambda _id: None,
    resolve_room: Callable[[str], str | None] = lambda _id: None,
) -> str:
    """A Slack message's text as Parley Markdown. `resolve_user("U123")` gives the username
    a Slack user became, `resolve_room("C123")` a channel's room name (None: keep the label)."""
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(text):
        out.append(_prose(text[last : code.start()], resolve_user, resolve_room))
        out.append(html.unescape(code.group(0)))
        last = code.end()
    out.append(_prose(text[last:], resolve_user, resolve_room))
    return "".join(out)


def _prose(
    text: str, resolve_user: Callable[[str], str | None], resolve_room: Callable[[str], str | None]
) -> str:
    if not text:
        return ""
    # Emphasis first, while links are still in brackets (a URL's underscores are no italics).
    pieces = re.split(r"(<[^<>\n]+>)", text)
    for i in range(0, len(pieces), 2):
        for pattern, replacement in _EMPHASIS.values():
            pieces[i] = pattern.sub(replacement, pieces[i])
    text = "".join(pieces)
    text = _ANGLE.sub(_angle(resolve_user, resolve_room), text)
    return html.unescape(text)
