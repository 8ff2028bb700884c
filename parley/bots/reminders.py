"""Reading when a `/remind me …` is due, in the forms people type in our four languages.

`parse("me in 10m call Bob", now=…, zone=…)` → (when, "call Bob"). Two kinds of time:

- after a while: `in 10m`, `in 2 hours`, `in an hour`, `in 1h30m`; `10分後`, `2時間後に`;
  `10분 후`, `2시간 뒤에`; `10分钟后`, `半小时后`, `2个小时以后`;
- at a clock time, today or tomorrow, in the person's time zone: `at 17:30`, `tomorrow at
  9:00`, `tomorrow 9am`; `明日 9:00`, `明日の午後3時`, `17時半に`; `내일 9시`, `오후 3시 30분에`;
  `明天 9:00`, `明天上午9点`, `下午3点半`. A time with no day that has passed today means
  tomorrow; `today` with a passed time is refused.

What follows the time is the reminder's text (a leading "to" is dropped: "in 10m to call").
Nothing here touches the database: the command (`services._remind`) stores the reminder.
docs/bots.md lists the forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Units, in seconds, by the words the four languages use for them.
UNITS = {
    # English
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "wk": 604800, "week": 604800, "weeks": 604800,
    # 日本語
    "秒": 1, "分": 60, "分間": 60, "時間": 3600, "日": 86400, "日間": 86400, "週間": 604800,
    # 한국어
    "초": 1, "분": 60, "시간": 3600, "일": 86400, "주": 604800, "주일": 604800,
    # 中文
    "秒钟": 1, "分钟": 60, "小时": 3600, "个小时": 3600, "钟头": 3600, "个钟头": 3600,
    "天": 86400, "周": 604800, "星期": 604800, "个星期": 604800,
}  # fmt: skip
UNIT_WORDS = "|".join(sorted((re.escape(u) for u in UNITS if UNITS[u]), key=len, reverse=True))
AMOUNT = rf"(?:\d{{1,4}}\s*(?:{UNIT_WORDS})(?![A-Za-z]))"
AMOUNTS = rf"(?:{AMOUNT}(?:\s*(?:and\s+)?{AMOUNT})*)"

RELATIVE = [
    # English: "in 10m", "in 2 hours", "in an hour", "in 1h 30m", "in half an hour"
    re.compile(
        rf"^in\s+(?P<amounts>{AMOUNTS}|an?\s+(?P<one>second|minute|hour|day|week)|half\s+an\s+hour)\b", re.I
    ),
    # 日本語 "10分後", "1時間30分後に", "30分後"; 한국어 "10분 후", "2시간 뒤에";
    # 中文 "10分钟后", "2个小时以后", "半小时后"
    re.compile(rf"^(?P<amounts>{AMOUNTS}|半小时|半个小时)\s*(?:後|후|뒤|后|以后|之后)(?:に|에)?"),
    # 日本語 "あと10分で"
    re.compile(rf"^あと\s*(?P<amounts>{AMOUNTS})\s*で"),
]

DAYS = {
    "today": 0, "tomorrow": 1, "tmrw": 1,
    "今日": 0, "きょう": 0, "明日": 1, "あした": 1, "あす": 1,
    "오늘": 0, "내일": 1,
    "今天": 0, "明天": 1,
}  # fmt: skip
DAY_WORDS = "|".join(sorted(map(re.escape, DAYS), key=len, reverse=True))
DAY = re.compile(rf"^(?P<day>{DAY_WORDS})(?:の)?(?![A-Za-z])\s*", re.I)

MORNING = {"am", "a.m.", "午前", "오전", "上午", "早上", "凌晨"}
AFTERNOON = {"pm", "p.m.", "午後", "오후", "下午", "晚上", "傍晚"}
NOON = {"中午"}
HALF_WORDS = {"半", "반"}
CLOCK = re.compile(
    r"^(?:at\s+)?"
    r"(?P<before>午前|午後|오전|오후|上午|下午|早上|晚上|傍晚|凌晨|中午)?\s*"
    r"(?P<hour>\d{1,2})"
    r"(?:"
    r":(?P<minute>\d{2})"  # 9:00, 17:30
    r"|\s*(?:時|시|点|點)\s*(?:(?P<minute2>\d{1,2})\s*(?:分|분)?|(?P<half>半|반))?"  # 9時, 9시 30분, 9点半
    r")?"
    r"\s*(?P<after>a\.m\.|p\.m\.|am|pm)?"
    r"(?:に|에|(?![A-Za-z0-9]))",
    re.I,
)
TO = re.compile(r"^(?:to|that)\s+", re.I)
ME = re.compile(r"^me(?:\s+|$)", re.I)


@dataclass(frozen=True)
class Reminder:
    when: datetime  # aware, in the person's zone
    text: str


class Unclear(ValueError):
    """The time could not be read (the command answers with its usage)."""


class Passed(ValueError):
    """`today at …` a time that has passed."""


def parse(args: str, *, now: datetime, zone: ZoneInfo) -> Reminder:
    """Read `[me] <when> <text>`; raise Unclear when the time cannot be read, Passed when
    `today` names a time that has gone."""
    rest = ME.sub("", args.strip(), count=1).strip()
    local_now = now.astimezone(zone)
    found = _relative(rest, local_now) or _absolute(rest, local_now)
    if found is None:
        raise Unclear(args)
    when, rest = found
    text = TO.sub("", rest.strip(), count=1).strip()
    if not text:
        raise Unclear(args)
    return Reminder(when=when, text=text)


def _relative(text: str, now: datetime) -> tuple[datetime, str] | None:
    for pattern in RELATIVE:
        match = pattern.match(text)
        if match is None:
            continue
        amounts = match.group("amounts") or ""
        one = match.groupdict().get("one")
        if one:
            seconds = UNITS[one.lower()]
        elif amounts.lower().startswith("half") or amounts.startswith("半"):
            seconds = 1800
        else:
            seconds = sum(
                int(n) * UNITS[unit.lower()]
                for n, unit in re.findall(rf"(\d{{1,4}})\s*({UNIT_WORDS})", amounts, re.I)
            )
        if seconds <= 0:
            return None
        return now + timedelta(seconds=seconds), text[match.end() :]
    return None


def _absolute(text: str, now: datetime) -> tuple[datetime, str] | None:
    day_match = DAY.match(text)
    offset = DAYS[day_match.group("day").lower()] if day_match else None
    rest = text[day_match.end() :] if day_match else text
    rest = re.sub(r"^at\s+", "", rest, flags=re.I) if day_match else rest
    clock = CLOCK.match(rest)
    if clock is None or (not day_match and not _names_a_time(clock)):
        if day_match and offset == 1 and clock is None:  # "tomorrow <text>": 9:00 tomorrow
            return _at(now.date() + timedelta(days=1), time(9, 0), now), rest
        return None
    at = _clock_time(clock)
    if at is None:
        return None
    if offset is not None:
        when = _at(now.date() + timedelta(days=offset), at, now)
        if when <= now:
            raise Passed(text)
        return when, rest[clock.end() :]
    when = _at(now.date(), at, now)
    if when <= now:  # a time with no day that has passed today: tomorrow's
        when = _at(now.date() + timedelta(days=1), at, now)
    return when, rest[clock.end() :]


def _names_a_time(clock: re.Match[str]) -> bool:
    """A bare number is not a time ("/remind me 3 things"); with "at", a colon, a unit
    (時, 시, 点), am/pm or 午後 it is."""
    whole = clock.group(0)
    return bool(
        whole.lower().startswith("at")
        or clock.group("minute")
        or clock.group("before")
        or clock.group("after")
        or re.search(r"[時시点點]", whole)
    )


def _clock_time(clock: re.Match[str]) -> time | None:
    hour = int(clock.group("hour"))
    minute = int(clock.group("minute") or clock.group("minute2") or 0)
    if clock.group("half"):
        minute = 30
    marker = (clock.group("before") or clock.group("after") or "").lower()
    if marker in AFTERNOON and hour < 12:
        hour += 12
    elif marker in MORNING and hour == 12:
        hour = 0
    elif marker in NOON and hour < 6:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _at(day: date, at: time, now: datetime) -> datetime:
    assert now.tzinfo is not None
    return datetime.combine(day, at, tzinfo=now.tzinfo)
