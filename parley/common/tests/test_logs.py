"""LOG_FORMAT=json turns every log line into one JSON object; the default stays readable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = (
    "import logging; log = logging.getLogger('parley.probe'); log.warning('plain %s', 'words'); "
    "\ntry:\n    1/0\nexcept ZeroDivisionError:\n    log.exception('it broke: 中文')"
)


def run_with(fmt: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST", "LOG_"))}
    env.pop("DATABASE_URL", None)
    env.update(DEBUG="true", LOG_LEVEL="INFO")
    if fmt:
        env["LOG_FORMAT"] = fmt
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr


@pytest.mark.processes
def test_json_log_lines_parse_and_carry_the_exception() -> None:
    lines = [json.loads(line) for line in run_with("json").splitlines() if line.strip()]
    probe = [line for line in lines if line["logger"] == "parley.probe"]
    assert [(p["level"], p["message"]) for p in probe] == [
        ("WARNING", "plain words"),
        ("ERROR", "it broke: 中文"),
    ]
    assert "ZeroDivisionError" in probe[1]["exception"] and "exception" not in probe[0]
    assert probe[0]["time"].endswith("+00:00")


@pytest.mark.processes
def test_plain_logs_by_default() -> None:
    out = run_with(None)
    assert "WARNING parley.probe: plain words" in out
    assert "Traceback" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])
