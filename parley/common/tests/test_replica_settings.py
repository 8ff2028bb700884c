"""DATABASE_REPLICA_URL is PostgreSQL's streaming replica: with a SQLite or MariaDB primary,
or a replica URL of another engine, the process refuses to start with a message saying so
(issue 33), instead of routing reads to a database that is no copy of the primary."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _check(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))}
    env.pop("REDIS_URL", None)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        PARLEY_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        **settings,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.processes
@pytest.mark.parametrize(
    ("primary", "replica", "said"),
    [
        ("sqlite:///{tmp}/p.sqlite3", "postgres://u@127.0.0.1:5/r", "DATABASE_REPLICA_URL needs PostgreSQL"),
        ("mysql://u:p@127.0.0.1:5/p", "postgres://u@127.0.0.1:5/r", "DATABASE_REPLICA_URL needs PostgreSQL"),
        (
            "postgres://u@127.0.0.1:5/p",
            "sqlite:///{tmp}/r.sqlite3",
            "DATABASE_REPLICA_URL must be a postgres://",
        ),
    ],
)
def test_a_replica_needs_postgresql(primary: str, replica: str, said: str, tmp_path: Path) -> None:
    out = _check(
        tmp_path,
        DATABASE_URL=primary.format(tmp=tmp_path),
        DATABASE_REPLICA_URL=replica.format(tmp=tmp_path),
    )
    assert out.returncode != 0 and said in out.stderr, out.stderr[-800:]
    assert "Traceback" not in out.stderr.split("ImproperlyConfigured")[-1]


@pytest.mark.processes
def test_a_postgresql_replica_is_a_second_alias_with_its_router(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS, s.DATABASES['replica']['TEST']['MIRROR'], "
        "'parley.common.replica.WriteMarkMiddleware' in s.MIDDLEWARE)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        PARLEY_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL="postgres://u@127.0.0.1:5/p",
        DATABASE_REPLICA_URL="postgres://u@127.0.0.1:6/r",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.strip() == (
        "['default', 'replica'] ['parley.common.replica.ReplicaRouter'] default True"
    )
