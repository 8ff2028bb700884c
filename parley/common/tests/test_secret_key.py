"""`make serve` (DEBUG off) refuses a short or repetitive SECRET_KEY (issue 28, finding 10: it
started with 50 times "s"). Its first step, `manage.py migrate`, loads the same settings as
`manage.py check` does here."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _check(key: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))}
    env.update(
        DEBUG="false", SECRET_KEY=key, PARLEY_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.processes
@pytest.mark.parametrize(
    "key",
    [
        "s" * 50,
        "short-but-random-" + secrets.token_hex(8),
        "ab" * 40,
        "django-insecure-" + secrets.token_urlsafe(50),
    ],
)
def test_a_weak_secret_key_is_refused_with_debug_off(key: str, tmp_path: Path) -> None:
    out = _check(key, tmp_path)
    assert out.returncode != 0 and "SECRET_KEY is too weak" in out.stderr, out.stderr[-500:]


@pytest.mark.processes
@pytest.mark.parametrize("key", [secrets.token_urlsafe(50), secrets.token_hex(32)])
def test_a_generated_secret_key_is_accepted(key: str, tmp_path: Path) -> None:
    out = _check(key, tmp_path)
    assert out.returncode == 0, out.stderr[-500:]
