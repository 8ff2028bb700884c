"""A Slack workspace export built in Slack's documented format, for the import's tests and
its benchmark (`python -m bench.slack_import`).

Layout as Slack writes it: users.json, channels.json, groups.json (private channels),
mpims.json, dms.json, then a folder per conversation (a channel's name, a DM's id) with
one YYYY-MM-DD.json per day; files the export holds under __uploads/<id>/<name>."""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC).timestamp()
USERS = [
    {"id": "U001", "name": "alice", "real_name": "Alice Liddell",
     "profile": {"display_name": "Alice L", "real_name": "Alice Liddell", "email": "alice@example.com"}},
    {"id": "U002", "name": "bob", "real_name": "Bob",
     "profile": {"display_name": "", "real_name": "Bob Stone"}},
    {"id": "U003", "name": "carol.k", "profile": {"display_name": "Carol", "email": "carol@example.com"}},
    {"id": "U004", "name": "dave", "deleted": True, "profile": {"real_name": "Dave Gone"}},
    {"id": "U005", "name": "deploybot", "is_bot": True, "profile": {"real_name": "Deploy Bot"}},
]  # fmt: skip
CHANNELS = [
    {"id": "C001", "name": "general", "created": 1700000000, "creator": "U001", "is_general": True,
     "members": ["U001", "U002", "U003"], "topic": {"value": "Company-wide"}, "purpose": {"value": ""}},
    {"id": "C002", "name": "random", "created": 1700000000, "creator": "U002",
     "members": ["U001", "U002"], "topic": {"value": ""}, "purpose": {"value": "Anything"}},
    {"id": "C003", "name": "dev", "created": 1700000000, "creator": "U003",
     "members": ["U002", "U003"], "topic": {"value": "Builds"}},
    {"id": "C004", "name": "old-stuff", "created": 1700000000, "creator": "U001", "is_archived": True,
     "members": ["U001"]},
]  # fmt: skip
GROUPS = [{"id": "G001", "name": "secret-plans", "creator": "U001", "members": ["U001", "U003"]}]
MPIMS = [
    {
        "id": "G002",
        "name": "mpdm-alice--bob--carol.k-1",
        "creator": "U002",
        "members": ["U001", "U002", "U003"],
    }
]
DMS = [{"id": "D001", "members": ["U001", "U002"]}]
FOLDERS = {"C001": "general", "C002": "random", "C003": "dev", "C004": "old-stuff",
           "G001": "secret-plans", "G002": "mpdm-alice--bob--carol.k-1", "D001": "D001"}  # fmt: skip
POSTERS = {"C001": ["U001", "U002", "U003"], "C002": ["U001", "U002"], "C003": ["U002", "U003"],
           "C004": ["U001"], "G001": ["U001", "U003"], "G002": ["U001", "U002", "U003"],
           "D001": ["U001", "U002"]}  # fmt: skip
FILE_TEXT = b"Minutes of the kick-off.\n"


def _ts(seconds: float) -> str:
    return f"{seconds:.6f}"


def _special(general: list[dict[str, Any]], t: float) -> float:
    """The messages the tests look at, in #general: a thread, reactions, an edit, files,
    markup, notices and an unknown subtype. Returns the next free time."""
    root, t = _ts(t), t + 60
    general.append({
        "type": "message", "user": "U001", "ts": root, "thread_ts": root, "reply_count": 2,
        "reply_users": ["U002", "U003"], "latest_reply": _ts(t + 60),
        "replies": [{"user": "U002", "ts": _ts(t)}, {"user": "U003", "ts": _ts(t + 60)}],
        "text": "Thread root: *plan* for <@U002> in <#C002|random>, "
                "see <https://example.com/a_b|the_doc> &amp; _more_ ~old~",
        "reactions": [{"name": "+1", "users": ["U002", "U003"], "count": 2},
                      {"name": "tada", "users": ["U002"], "count": 1},
                      {"name": "party-parrot", "users": ["U003"], "count": 1}],
        "edited": {"user": "U001", "ts": _ts(t + 3600)},
    })  # fmt: skip
    general.append(
        {
            "type": "message",
            "user": "U002",
            "ts": _ts(t),
            "thread_ts": root,
            "parent_user_id": "U001",
            "text": "First reply",
        }
    )
    general.append(
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "user": "U003",
            "ts": _ts(t + 60),
            "thread_ts": root,
            "parent_user_id": "U001",
            "text": "Second reply with `*code*`",
        }
    )
    t += 120
    general.append({
        "type": "message", "subtype": "file_share", "user": "U003", "ts": _ts(t), "text": "Notes attached",
        "files": [{"id": "F001", "name": "notes.txt", "title": "notes.txt", "mimetype": "text/plain",
                   "size": len(FILE_TEXT)},
                  {"id": "F002", "name": "slides.pdf", "title": "Slides", "mimetype": "application/pdf",
                   "size": 123456}],
    })  # fmt: skip
    t += 60
    general.append(
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U003",
            "ts": _ts(t),
            "text": "<@U003> has joined the channel",
        }
    )
    t += 60
    general.append({"type": "message", "subtype": "weird_subtype", "user": "U001", "ts": _ts(t), "text": "?"})
    t += 60
    general.append(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B001",
            "username": "ci",
            "ts": _ts(t),
            "text": "Build *green*",
        }
    )
    return t + 60


def build_export(path: Path, *, messages: int = 10_000) -> dict[str, int]:
    """Write the export to `path` (a .zip) with `messages` messages in all; returns how many
    ordinary messages each conversation got (besides the special ones in #general)."""
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    t = _special(per["C001"], START)
    plain = messages - len(per["C001"]) + 2  # the notice and the unknown subtype are not messages
    conversations = list(FOLDERS)
    counts: dict[str, int] = defaultdict(int)
    for i in range(plain):
        conv = conversations[i % len(conversations)]
        posters = POSTERS[conv]
        user = posters[i % len(posters)]
        text = f"message {i} in {FOLDERS[conv]}" + (" about <@U002>" if i % 97 == 0 else "")
        per[conv].append({"type": "message", "user": user, "ts": _ts(t), "text": text})
        counts[conv] += 1
        t += 7
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("users.json", json.dumps(USERS))
        out.writestr("channels.json", json.dumps(CHANNELS))
        out.writestr("groups.json", json.dumps(GROUPS))
        out.writestr("mpims.json", json.dumps(MPIMS))
        out.writestr("dms.json", json.dumps(DMS))
        for conv, items in per.items():
            days: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for item in items:
                day = datetime.fromtimestamp(float(item["ts"]), UTC).strftime("%Y-%m-%d")
                days[day].append(item)
            for day, day_items in days.items():
                out.writestr(f"{FOLDERS[conv]}/{day}.json", json.dumps(day_items, indent=1))
        out.writestr("__uploads/F001/notes.txt", FILE_TEXT)
    return dict(counts)
