"""Fail a test when a server it ran logged an ERROR or a traceback the test did not expect.

Each part's own tests can pass while the process that serves them logs an error on
every request or every interval (issue 27: the periodic jobs failed for months in the
log of `make run`). Live servers register their log here (`watch`); after every test,
module and session the plugin reads what each log gained since the last look and
fails on an ERROR or CRITICAL record or a traceback nobody declared.

A test whose point is an error declares it:

    @pytest.mark.server_log_expects(r"Exception in ASGI application", r"boom")

or at run time through the `server_log` fixture: `server_log.expect(r"...")`. Each
pattern is searched (`re.search`, multi-line) in the whole block: the record's line
and its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The start of a record in the plain format (parley.common.logs.PLAIN) ...
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) ")
# ... in the JSON format, and uvicorn's own default before logging is configured.
JSON_LEVEL = re.compile(r'^\{.*"level": "(?P<level>[A-Z]+)"')
BARE_LEVEL = re.compile(r"^(?P<level>ERROR|CRITICAL|WARNING|INFO|DEBUG):\s")
TRACEBACK = "Traceback (most recent call last):"
BAD_LEVELS = {"ERROR", "CRITICAL"}


def _level(line: str) -> str | None:
    for pattern in (RECORD, JSON_LEVEL, BARE_LEVEL):
        found = pattern.match(line)
        if found:
            return found.group("level")
    return None


def problems(text: str) -> list[str]:
    """The ERROR/CRITICAL records (with the lines that follow them up to the next record)
    and the tracebacks outside any record (a thread's uncaught exception) in `text`."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        level = _level(line)
        if level is not None:
            current = [line] if level in BAD_LEVELS else None
            if current is not None:
                blocks.append(current)
        elif current is not None:
            current.append(line)
        elif line.startswith(TRACEBACK) or line.startswith("Exception in thread"):
            current = [line]
            blocks.append(current)
    return ["\n".join(block) for block in blocks]


@dataclass
class ServerLog:
    """One process's log file, read from where the last look stopped."""

    path: Path
    name: str
    offset: int = 0
    closed: bool = False
    pending: list[str] = field(default_factory=list)

    def read_new(self) -> str:
        if self.closed:
            text, self.pending = "".join(self.pending), []
            return text
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return ""
        # Keep a partly written last line for the next look.
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        return data[:cut].decode(errors="replace")

    def close(self) -> None:
        """Called before the file goes away: keep what is left for the next check."""
        if self.closed:
            return
        text = self.read_new()
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                text += fh.read().decode(errors="replace")
        except FileNotFoundError:
            pass
        self.pending.append(text)
        self.closed = True


_watched: list[ServerLog] = []


def watch(path: Path | str, name: str) -> ServerLog:
    """Check this log after each test while its process lives (and once after it stops)."""
    log = ServerLog(Path(path), name)
    _watched.append(log)
    return log


def unexpected(expected: list[str]) -> list[str]:
    """Read every watched log's news; the problem blocks no `expected` pattern matches."""
    found: list[str] = []
    for log in list(_watched):
        for block in problems(log.read_new()):
            if not any(re.search(p, block, re.MULTILINE) for p in expected):
                found.append(f"--- {log.name} ---\n{block}")
        if log.closed:
            _watched.remove(log)
    return found


class ServerLogExpectations:
    """What the running test declared it expects in server logs (the `server_log` fixture)."""

    def __init__(self, patterns: list[str]):
        self.patterns = patterns

    def expect(self, *patterns: str) -> None:
        self.patterns.extend(patterns)


def _check(patterns: list[str], when: str) -> None:
    found = unexpected(patterns)
    if found:
        shown = "\n".join(found)
        pytest.fail(
            f"the server log holds {len(found)} unexpected error(s) {when} "
            f"(declare expected ones with @pytest.mark.server_log_expects(pattern)):\n{shown[-6000:]}",
            pytrace=False,
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "server_log_expects(*patterns): errors this test expects in live servers' logs (regexes)",
    )


@pytest.fixture
def server_log(request: pytest.FixtureRequest) -> ServerLogExpectations:
    patterns: list[str] = request.node.stash.setdefault(_EXPECTED, [])
    return ServerLogExpectations(patterns)


_EXPECTED = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def _server_log_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    patterns: list[str] = request.node.stash.setdefault(_EXPECTED, [])
    for mark in request.node.iter_markers("server_log_expects"):
        patterns.extend(mark.args)
    yield
    _check(patterns, "during this test (or since the previous check)")


@pytest.fixture(autouse=True, scope="module")
def _server_log_guard_module(request: pytest.FixtureRequest) -> Iterator[None]:
    """Servers a module's fixtures stop after its last test (a module's `pytestmark` may
    declare what they are expected to log)."""
    yield
    patterns = [p for mark in request.node.iter_markers("server_log_expects") for p in mark.args]
    _check(patterns, "when this module's servers stopped")


@pytest.fixture(autouse=True, scope="session")
def _server_log_guard_session() -> Iterator[None]:
    """Servers the session's fixtures stop at the end."""
    yield
    _check([], "when the session's servers stopped")
