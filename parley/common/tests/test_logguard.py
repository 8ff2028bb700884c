"""The live servers' log guard (parley/testing/logguard.py): what it finds, and that it fails a test."""

from __future__ import annotations

import textwrap

import pytest

from parley.testing.live import ROOT
from parley.testing.logguard import problems

LOG = """\
2026-12-07 08:49:16,001 INFO uvicorn.error: Started server process [1]
2026-12-07 08:49:16,039 ERROR config.celery: periodic job mail-digests failed
Traceback (most recent call last):
  File "config/celery.py", line 55, in loop
celery.exceptions.NotRegistered: 'parley.notify.tasks.digests_send_due'
2026-12-07 08:49:16,050 WARNING django.request: Not Found: /nothing
Exception in thread parley-beat:
Traceback (most recent call last):
ValueError: boom
2026-12-07 08:49:17,000 CRITICAL parley: out of disk
{"time": "2026-12-07T08:49:18.000+00:00", "level": "ERROR", "logger": "x", "message": "json"}
ERROR:    Exception in ASGI application
2026-12-07 08:49:19,000 INFO celery.app.trace: Task ok succeeded
"""


def test_errors_tracebacks_and_critical_records_are_found_with_their_lines() -> None:
    found = problems(LOG)
    assert len(found) == 5
    assert found[0].startswith("2026-12-07 08:49:16,039 ERROR config.celery")
    assert found[0].endswith("NotRegistered: 'parley.notify.tasks.digests_send_due'")
    assert found[1].splitlines() == [
        "Exception in thread parley-beat:",
        "Traceback (most recent call last):",
        "ValueError: boom",
    ]
    assert "CRITICAL parley: out of disk" in found[2]
    assert '"level": "ERROR"' in found[3]
    assert found[4] == "ERROR:    Exception in ASGI application"


def test_a_clean_log_has_no_problems() -> None:
    assert problems("2026-12-07 08:49:16,001 INFO uvicorn.error: Started\nSubject: a mail\n") == []


INNER = """
import pytest
from parley.testing import logguard

@pytest.fixture
def log(tmp_path):
    path = tmp_path / "server.log"
    path.write_text("")
    watched = logguard.watch(path, "server")
    yield path
    watched.close()

def say(path, line):
    with path.open("a") as fh:
        fh.write(line + "\\n")

def test_clean(log):
    say(log, "2026-12-07 08:49:16,001 INFO x: fine")

def test_unexpected(log):
    say(log, "2026-12-07 08:49:16,001 ERROR x: boom")

@pytest.mark.server_log_expects(r"ERROR x: declared")
def test_declared_by_marker(log):
    say(log, "2026-12-07 08:49:16,001 ERROR x: declared")

def test_declared_at_run_time(log, server_log):
    server_log.expect(r"ValueError: at run time")
    say(log, "Traceback (most recent call last):")
    say(log, "ValueError: at run time")

@pytest.fixture
def stopping(log):
    yield log
    say(log, "2026-12-07 08:49:16,001 ERROR x: while stopping")  # before the file goes away

def test_logged_while_stopping(stopping):
    pass
"""


@pytest.mark.processes  # runs a pytest of its own
def test_the_guard_fails_a_test_on_an_undeclared_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's parley, whatever is installed
    pytester.makepyfile(test_inner=textwrap.dedent(INNER))
    result = pytester.runpytest_subprocess("-p", "parley.testing.logguard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unexpected*", "*ERROR x: boom*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_logged_while_stopping*", "*while stopping*"])
