"""The deployment kit (Dockerfile, docker-compose.yml, nginx, systemd, Procfile) read as files,
since no container runtime is at hand, and `check --deploy` under the kit's settings."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def documented_variables() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {m.group(1) for line in lines if (m := re.match(r"^([A-Z][A-Z0-9_]*)=", line))}


def substituted(value: str, given: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` with `given` values."""

    def one(m: re.Match[str]) -> str:
        name, op, word = m.group(1), m.group(2), m.group(3)
        if name in given:
            return given[name]
        if op == ":-":
            return word
        raise AssertionError(f"{name} must be given ({word})")

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, value)


def test_compose_services_health_checks_and_start_order() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx", "certbot"}
    for name, service in services.items():
        if name == "migrate":  # one-shot: runs to completion before the others start
            assert service["restart"] == "no" and "healthcheck" not in service
            continue
        check = service.get("healthcheck", {})
        assert check.get("test") or name == "certbot", f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
    web, nginx = services["web"], services["nginx"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert web["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "redis": {"condition": "service_healthy"},
    }
    assert nginx["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    # Only nginx is published; the app, the database and Redis stay on the private network.
    assert sorted(nginx["ports"]) == ["443:443", "80:80"]
    assert all("ports" not in services[name] for name in ("web", "postgres", "redis"))
    assert web["expose"] == ["8000"]
    assert "./deploy/nginx.conf:/etc/nginx/templates/default.conf.template:ro" in nginx["volumes"]
    assert web["command"] == ["python", "-m", "parley.serve"]  # migrations: the `migrate` service
    # The jobs run in their own containers, once the web has migrated; the web runs none.
    assert web["environment"]["PARLEY_JOBS"] == "0"
    for name, kind in (("worker", "worker"), ("beat", "beat")):
        job = services[name]
        assert job["command"][:5] == ["python", "-m", "celery", "-A", "config"] and job["command"][5] == kind
        assert job["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "redis": {"condition": "service_healthy"},
        }
        assert "ports" not in job
        for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
            assert job["environment"][key] == web["environment"][key], (name, key)


def test_compose_sets_only_documented_variables() -> None:
    services = compose()["services"]
    env = services["web"]["environment"]
    documented = documented_variables()
    assert set(env) - documented == set(), "document these in .env.example"
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert used - documented == set(), "compose reads these from .env: document them"
    assert env["DEBUG"] == "false"
    assert "WORKERS" in env and env["REDIS_URL"].startswith("redis://redis:")
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    subnet = compose()["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert env["TRUSTED_PROXIES"] == subnet  # nginx is on that network


def test_nginx_upgrades_websockets_and_forwards_addresses() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert conf.count("{") == conf.count("}")
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{", conf)
    ws = re.search(r"location /ws/ \{(.*?)\n    \}", conf, re.S)
    assert ws is not None
    block = ws.group(1)
    for line in [
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Host $host;",
    ]:
        assert line in block, line
    timeout = re.search(r"proxy_read_timeout (\d+)s;", block)
    assert timeout is not None and int(timeout.group(1)) > 25  # longer than the app's ping interval
    assert "proxy_cache parley_static;" in conf and "proxy_cache_path" in conf
    assert re.search(r"location = /metrics \{\s*return 404;", conf)
    assert "server ${PARLEY_UPSTREAM};" in conf
    assert compose()["services"]["nginx"]["environment"]["PARLEY_UPSTREAM"] == "web:8000"
    assert "location = /nginx-health" in conf  # what compose's nginx health check asks for
    assert "/nginx-health" in " ".join(compose()["services"]["nginx"]["healthcheck"]["test"])


def test_dockerfile_builds_the_client_then_runs_as_a_user() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2
    assert re.match(r"FROM node:22\S* AS client$", stages[0])  # the LTS line; 20 is at its end
    assert any(line.startswith("RUN npm ci ") for line in lines)  # the lock, never rewritten
    assert re.match(r"FROM python:3\.11-slim\S* AS app$", stages[1])
    assert any("npm run build" in line for line in lines)
    assert any(line.startswith("COPY --from=client ") for line in lines)
    assert any("-r requirements/run.txt" in line and "--require-hashes" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    last = lines[-1]
    assert last == 'CMD ["python", "-m", "parley.serve"]'
    assert lines.index(f"USER {users[-1]}") < len(lines) - 1
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in lines)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "frontend/node_modules", "data"} <= set(ignored)


def unit_file(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "systemd" / f"parley-{name}.service")
    return unit


def test_systemd_units_and_procfile_start_the_web_worker_and_beat() -> None:
    for kind in ("worker", "beat"):
        job = unit_file(kind)
        assert f"python -m celery -A config {kind} " in job["Service"]["ExecStart"]
        assert job["Service"]["User"] not in {"root", "0"} and job["Service"]["Restart"] == "on-failure"
        assert "parley-web.service" in job["Unit"]["After"]
    unit = unit_file("web")
    service = unit["Service"]
    assert "PARLEY_JOBS=0" in service["Environment"]  # the worker and beat units run the jobs
    assert service["ExecStart"].endswith("python -m parley.serve")
    assert (
        "Requires=parley-migrate.service" in (ROOT / "deploy" / "systemd" / "parley-web.service").read_text()
    )
    assert service["User"] not in {"root", "0"}
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert procfile["web"].strip().endswith("PARLEY_JOBS=0 python -m parley.serve")
    assert "migrate" in procfile["release"]
    assert "celery -A config worker" in procfile["worker"] and "celery -A config beat" in procfile["beat"]


@pytest.mark.processes
def test_check_deploy_passes_without_warnings_under_the_kits_settings() -> None:
    """`manage.py check --deploy --fail-level WARNING` with the environment compose gives
    the web service (TLS ends at nginx: SSL redirect and HSTS on)."""
    given = {
        "SECRET_KEY": "kit-" + "k3y-" * 16,
        "PARLEY_DOMAIN": "chat.example.org",
        "POSTGRES_PASSWORD": "pw",
        "METRICS_TOKEN": "",
        "DEFAULT_FROM_EMAIL": "Parley <parley@chat.example.org>",
    }
    kit = {k: substituted(str(v), given) for k, v in compose()["services"]["web"]["environment"].items()}
    assert kit["SECURE_SSL_REDIRECT"] == "true" and int(kit["SECURE_HSTS_SECONDS"]) >= 31536000
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST", "PYTEST"))}
    env.update(kit)
    env.pop("PROMETHEUS_MULTIPROC_DIR")  # the folder parley.serve would create in the container
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout, done.stdout


def test_nginx_sends_uploads_only_when_parley_says_so() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    block = re.search(r"location /protected-uploads/ \{(.*?)\n    \}", conf, re.S)
    assert block is not None
    assert "internal;" in block.group(1)  # never reachable by a request from outside
    assert "alias ${PARLEY_UPLOAD_DIR}/;" in block.group(1)
    assert compose()["services"]["nginx"]["environment"]["PARLEY_UPLOAD_DIR"] == "/var/lib/parley/uploads"
    upload = re.search(r"location ~ \^/api/v1/rooms/\[0-9\]\+/uploads\$ \{(.*?)\n    \}", conf, re.S)
    assert upload is not None
    limit = re.search(r"client_max_body_size (\d+)m;", upload.group(1))
    assert limit is not None and int(limit.group(1)) * 2**20 > 25 * 2**20  # the app's default limit
    services = compose()["services"]
    env = services["web"]["environment"]
    assert env["UPLOAD_ACCEL_REDIRECT"] == "/protected-uploads/"
    assert env["UPLOAD_DIR"] == "/var/lib/parley/uploads"
    # The web stores, the worker makes thumbnails, nginx reads: one volume, read-only for nginx.
    assert "uploads:/var/lib/parley/uploads" in services["web"]["volumes"]
    assert any(v.startswith("uploads:/var/lib/parley/uploads") for v in services["worker"]["volumes"])
    assert "uploads:/var/lib/parley/uploads:ro" in services["nginx"]["volumes"]
