"""One choice between one Redis and a Redis Cluster, made in one place, checked at start.

`REDIS_URL` means one Redis instance and `REDIS_CLUSTER_URL` a cluster; the realtime layer
makes its clients in `parley.realtime.redisconn` only, so no module quietly assumes one
Redis. A cluster without its own broker and cache is refused when the settings load.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.processes]  # each case loads the settings in a process of its own

REALTIME = Path(__file__).resolve().parents[1]
ROOT = REALTIME.parents[1]
SINGLE_CLIENT = re.compile(
    r"\bRedis\.from_url\b|\bRedis\(|redis\.asyncio\.Redis\b|from redis(\.asyncio)? import Redis\b"
)


def test_the_single_instance_client_is_made_only_behind_the_one_factory() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in REALTIME.rglob("*.py")
        if "tests" not in path.parts and path.name != "redisconn.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SINGLE_CLIENT.search(line)
    ]
    assert not offenders, offenders
    # ... and there, only for REDIS_URL (`RedisTarget(cluster=False)`) and a cluster's nodes.
    factory = (REALTIME / "redisconn.py").read_text()
    assert "RedisCluster.from_url" in factory and "if self.cluster:" in factory


def _settings_error(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))}
    for name in ("REDIS_URL", "REDIS_CLUSTER_URL", "CELERY_BROKER_URL", "CACHE_URL", "DATABASE_URL"):
        clean.pop(name, None)
    clean.update(DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings", **env)
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run.stderr if run.returncode else ""


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"REDIS_CLUSTER_URL": "redis://127.0.0.1:7000"}, "CELERY_BROKER_URL and CACHE_URL are not"),
        (
            {"REDIS_CLUSTER_URL": "redis://127.0.0.1:7000", "CACHE_URL": "redis://127.0.0.1:6379/1"},
            "CELERY_BROKER_URL is not",
        ),
        (
            {
                "REDIS_CLUSTER_URL": "redis://127.0.0.1:7000",
                "CACHE_URL": "redis://127.0.0.1:6379/1",
                "CELERY_BROKER_URL": "redis://127.0.0.1:7000",
            },
            "may not be the Redis Cluster itself",
        ),
        (
            {"REDIS_CLUSTER_URL": "redis://127.0.0.1:7000", "REDIS_URL": "redis://127.0.0.1:6379/0"},
            "not both",
        ),
    ],
)
def test_a_cluster_without_its_own_broker_and_cache_is_refused_at_start(
    env: dict[str, str], says: str
) -> None:
    error = _settings_error(**env)
    assert "ImproperlyConfigured" in error and says in error, error[-600:]


def test_a_cluster_with_a_broker_and_a_cache_starts() -> None:
    assert (
        _settings_error(
            REDIS_CLUSTER_URL="redis://127.0.0.1:7000",
            CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
            CACHE_URL="redis://127.0.0.1:6379/1",
        )
        == ""
    )
