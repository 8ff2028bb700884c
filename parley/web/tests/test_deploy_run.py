"""The deploy kit run for real on this machine (docs/deploy.md, "What the kit's test covers").

Debian's nginx with `deploy/nginx.conf` (its `${PARLEY_*}` names filled in, nothing else
changed) in front of the migrate, web, worker and beat commands of `docker-compose.yml`
(the same commands as the systemd units and the Procfile), with the environment compose
gives them, on PostgreSQL and Redis. Through nginx: the page and its compressed static
files, a WebSocket conversation, a 4 MiB profile picture, an attachment sent by nginx,
`/healthz`, `/metrics` refused; `/metrics` scraped as the docs say (web:8000 with the
token); a mail from the worker with links to SITE_URL; beat's health check. Beside it:
`nginx -t` on Debian's nginx, `systemd-analyze verify` on the units, and the compose file
read (no container runtime here) for every variable each service needs.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml
from websockets.typing import Origin

from parley.testing.live import free_port, private_database, services_or_skip, unavailable

ROOT = Path(__file__).resolve().parents[3]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
UNITS = ROOT / "deploy" / "systemd"
PASSWORD = "a-long enough passphrase 42"

# What each Parley service must be given for its part to work (beyond the code's defaults).
# The worker sends the mail, so it needs the mail settings as much as the web does.
NEEDS_COMMON = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
    "EMAIL_URL", "DEFAULT_FROM_EMAIL", "SITE_URL", "UPLOAD_DIR", "MEDIA_ROOT",
}  # fmt: skip
NEEDS_WEB = NEEDS_COMMON | {
    "PARLEY_JOBS", "CSRF_TRUSTED_ORIGINS", "HOST", "PORT", "WORKERS", "TRUSTED_PROXIES",
    "SECURE_SSL_REDIRECT", "METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR", "UPLOAD_ACCEL_REDIRECT",
}  # fmt: skip


# --- reading the kit ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def interpolated(value: str, given: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$`, with `given` as .env."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, word = m.group(1), m.group(2), m.group(3)
        if given.get(name):
            return given[name]
        if op == ":?":
            raise AssertionError(f"compose refuses to start without {name}: {word}")
        return word or ""

    return re.sub(r"\$\$|\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, value)


def service_env(name: str, given: dict[str, str]) -> dict[str, str]:
    env = compose()["services"][name].get("environment", {})
    return {key: interpolated(str(value), given) for key, value in env.items()}


def template_names() -> set[str]:
    return set(re.findall(r"\$\{(PARLEY_[A-Z0-9_]+)\}", NGINX_CONF.read_text()))


def rendered_nginx(values: dict[str, str]) -> str:
    """What `envsubst` with exactly the template's names makes of deploy/nginx.conf."""
    names = template_names()
    assert names <= set(values), f"no value for {sorted(names - set(values))}"
    return re.sub(r"\$\{(PARLEY_[A-Z0-9_]+)\}", lambda m: values[m.group(1)], NGINX_CONF.read_text())


def unit_value(unit: str, key: str) -> str:
    lines = (UNITS / f"parley-{unit}.service").read_text().splitlines()
    found = [line.split("=", 1)[1] for line in lines if line.startswith(f"{key}=")]
    assert len(found) == 1, (unit, key, found)
    return found[0]


def venv_python_as_python(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == "/srv/parley/.venv/bin/python", argv
    return ["python", *argv[1:]]


# --- what every machine has or has not ----------------------------------------------------


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        unavailable("Debian's nginx is not installed (.ci/run installs it: apt-get install nginx)")
    return found


def self_signed_certificate(folder: Path) -> Path:
    """fullchain.pem and privkey.pem for 127.0.0.1, as certbot would leave them."""
    if not shutil.which("openssl"):
        unavailable("openssl is not installed (it makes the test's certificate)")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return folder


def nginx_main_conf(prefix: Path, site: str) -> Path:
    """A main configuration like Debian's /etc/nginx/nginx.conf (mime types, the http block
    that includes the site), with the pid, logs and temporary folders under `prefix`, in
    the foreground. As root, workers run as nobody, as Debian's run as www-data: the
    uploads they send must be readable by another user."""
    (prefix / "parley.conf").write_text(site)
    as_root = os.geteuid() == 0
    conf = prefix / "nginx.conf"
    conf.write_text(
        "\n".join(
            [
                "daemon off;",
                "worker_processes 1;",
                f"pid {prefix}/nginx.pid;",
                f"error_log {prefix}/error.log warn;",
                "user nobody nogroup;" if as_root else "",
                "events { worker_connections 256; }",
                "http {",
                "    include /etc/nginx/mime.types;",
                "    default_type application/octet-stream;",
                "    sendfile on;",
                f"    access_log {prefix}/access.log;",
                *(
                    f"    {kind}_temp_path {prefix}/{kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                ),
                f"    include {prefix}/parley.conf;",
                "}",
            ]
        )
        + "\n"
    )
    return conf


def nginx_values(folder: Path, *, upstream: str, http: int, https: int) -> dict[str, str]:
    return {
        "PARLEY_DOMAIN": "127.0.0.1",
        "PARLEY_UPSTREAM": upstream,
        "PARLEY_HTTP_LISTEN": f"127.0.0.1:{http}",
        "PARLEY_HTTP_LISTEN_V6": f"[::1]:{http}",
        "PARLEY_HTTPS_LISTEN": f"127.0.0.1:{https}",
        "PARLEY_HTTPS_LISTEN_V6": f"[::1]:{https}",
        "PARLEY_TLS_DIR": str(folder / "tls"),
        "PARLEY_UPLOAD_DIR": str(folder / "data" / "uploads"),
        "PARLEY_CACHE_DIR": str(folder / "nginx-cache"),
        "PARLEY_ACME_DIR": str(folder / "acme"),
    }


def ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def prepared_nginx(folder: Path, *, upstream: str, http: int, https: int) -> tuple[str, Path]:
    values = nginx_values(folder, upstream=upstream, http=http, https=https)
    self_signed_certificate(folder / "tls")
    for key in ("PARLEY_UPLOAD_DIR", "PARLEY_ACME_DIR"):
        Path(values[key]).mkdir(parents=True, exist_ok=True)
    site = rendered_nginx(values)
    if not ipv6_loopback():  # the only change beyond the names: no IPv6 on this machine
        site = "\n".join(line for line in site.splitlines() if "listen [::1]:" not in line)
    return nginx_binary(), nginx_main_conf(folder, site)


# --- the kit read as files ---------------------------------------------------------------


def test_nginx_template_names_are_given_by_compose_and_documented() -> None:
    names = template_names()
    assert names == set(nginx_values(Path("/x"), upstream="u", http=1, https=2))
    nginx = compose()["services"]["nginx"]
    assert set(nginx["environment"]) == names | {"NGINX_ENVSUBST_FILTER"}
    assert "./deploy/nginx.conf:/etc/nginx/templates/default.conf.template:ro" in nginx["volumes"]
    doc = (ROOT / "docs" / "deploy.md").read_text()
    assert all(f"`{name}`" in doc for name in names), "docs/deploy.md explains each name"
    conf = NGINX_CONF.read_text()
    assert not re.search(r"^\s*http2 on;", conf, re.M)  # nginx 1.22 (Debian 12) does not know it
    assert conf.count("ssl http2;") == 2


def test_compose_passes_every_variable_each_service_needs() -> None:
    """No container runtime here: the compose file is read and interpolated as compose
    would, with the values .env.example asks for."""
    given = {"SECRET_KEY": "s" * 50, "PARLEY_DOMAIN": "chat.example.org", "POSTGRES_PASSWORD": "pw",
             "DEFAULT_FROM_EMAIL": "Parley <parley@chat.example.org>"}  # fmt: skip
    web = service_env("web", given)
    assert set(web) >= NEEDS_WEB, sorted(NEEDS_WEB - set(web))
    for name in ("migrate", "worker", "beat"):
        env = service_env(name, given)
        assert set(env) >= NEEDS_COMMON, (name, sorted(NEEDS_COMMON - set(env)))
        for key in NEEDS_COMMON:
            assert env[key] == web[key], (name, key)
    assert web["SITE_URL"] == "https://chat.example.org"  # links in mail: the public address
    assert web["EMAIL_URL"] == "consolemail://"  # until .env names an SMTP server
    with pytest.raises(AssertionError, match="DEFAULT_FROM_EMAIL"):
        service_env("worker", {k: v for k, v in given.items() if k != "DEFAULT_FROM_EMAIL"})
    services = compose()["services"]
    # Uploads and profile pictures live on volumes, so recreating a container keeps them.
    for name in ("web", "worker"):
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert mounts[web["UPLOAD_DIR"]] == "uploads" and mounts[web["MEDIA_ROOT"]] == "media", name
    assert {"uploads", "media", "postgres-data", "letsencrypt", "certbot-www"} <= set(compose()["volumes"])
    # Migrations run once, in their own service; everything that uses the database waits for it.
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput", "-v0"]
    assert services["migrate"]["restart"] == "no"
    assert all("migrate" not in " ".join(services[name]["command"]) for name in ("web", "worker", "beat"))
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # certbot renews into the volume nginx reads, through the ACME location nginx serves.
    certbot = services["certbot"]
    assert "letsencrypt:/etc/letsencrypt" in certbot["volumes"]
    assert "certbot-www:/var/www/certbot" in certbot["volumes"]
    nginx = service_env("nginx", given)
    assert nginx["PARLEY_TLS_DIR"] == "/etc/letsencrypt/live/parley"
    assert nginx["PARLEY_ACME_DIR"] == "/var/www/certbot"
    assert "certbot-www:/var/www/certbot:ro" in services["nginx"]["volumes"]
    assert "certbot renew --webroot -w /var/www/certbot" in " ".join(certbot["command"])


def test_compose_systemd_and_procfile_run_the_same_commands() -> None:
    services = compose()["services"]
    procfile = dict(
        (k.strip(), v.strip())
        for k, v in (
            line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
        )
    )
    for name in ("migrate", "web", "worker", "beat"):
        command = services[name]["command"]
        assert venv_python_as_python(unit_value(name, "ExecStart")) == command, name
        assert shlex.split(procfile["release" if name == "migrate" else name])[-len(command) :] == command
    for name in ("web", "worker", "beat"):
        unit = (UNITS / f"parley-{name}.service").read_text()
        assert "Requires=parley-migrate.service" in unit and "ExecStartPre" not in unit
        assert re.search(r"^After=.*parley-migrate\.service", unit, re.M)
    assert unit_value("migrate", "Type") == "oneshot"
    # Each unit's runtime directory is its own: systemd removes it when that unit stops.
    assert unit_value("web", "RuntimeDirectory") == "parley-web"
    assert "PROMETHEUS_MULTIPROC_DIR=/run/parley-web/metrics" in unit_value("web", "Environment")
    for name in ("migrate", "worker", "beat"):
        assert "RuntimeDirectory=" not in (UNITS / f"parley-{name}.service").read_text(), name


# --- the kit checked by the tools of the machines it targets ---------------------------------


@pytest.mark.processes
def test_nginx_t_accepts_the_config_on_debians_nginx(tmp_path: Path) -> None:
    nginx, conf = prepared_nginx(tmp_path, upstream="127.0.0.1:8000", http=free_port(), https=free_port())
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=10).stderr
    assert "nginx/" in version
    # The config's own lines draw no warning (1.25.1 and later warn about `listen ... http2`).
    warnings = [line for line in done.stderr.splitlines() if "[warn]" in line and "parley.conf" in line]
    number = tuple(int(part) for part in re.findall(r"\d+", version.split("nginx/")[1])[:3])
    if number < (1, 25, 1):
        assert warnings == [], warnings


@pytest.mark.processes
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """In a root of its own (`--root`): this container runs no systemd (PID 1 is not
    systemd), so the units are checked, not started. The root holds Debian's own unit files
    (for the targets the units name) and an executable where the units expect the
    virtualenv's python."""
    analyze = shutil.which("systemd-analyze") or ""
    if not analyze:
        unavailable("systemd-analyze is not installed (.ci/run installs Debian's systemd)")
    root = tmp_path / "root"
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    (root / "usr" / "lib" / "systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    python = root / "srv" / "parley" / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    names = sorted(path.name for path in UNITS.glob("parley-*.service"))
    assert names == [f"parley-{n}.service" for n in ("beat", "migrate", "web", "worker")]
    for name in names:
        shutil.copy(UNITS / name, root / "etc" / "systemd" / "system" / name)
    # The small install's drop-in (docs/deploy.md, "Small install"), where its comment says.
    shutil.copytree(
        UNITS / "parley-web.service.d", root / "etc" / "systemd" / "system" / "parley-web.service.d"
    )
    done = subprocess.run(
        [analyze, "verify", f"--root={root}", *(f"/etc/systemd/system/{name}" for name in names)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and bad values too; it says so on stderr.
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


# --- the kit run ---------------------------------------------------------------------------


class Kit:
    """The compose file's migrate, web, worker and beat with their compose environment,
    and nginx in front, all on loopback. What differs from the containers, and why:

    - DATABASE_URL, REDIS_URL (+ PARLEY_REDIS_PREFIX): this machine's services, a private
      database and key prefix instead of the `postgres` and `redis` containers;
    - HOST=127.0.0.1 and a free PORT (loopback only), TRUSTED_PROXIES=127.0.0.1/32 (nginx's
      address here, the compose network's in the kit);
    - PARLEY_DATA_DIR, UPLOAD_DIR, MEDIA_ROOT, PROMETHEUS_MULTIPROC_DIR: folders of the test
      instead of the image's /var/lib/parley and /tmp; SITE_URL with nginx's port;
    - METRICS_ALLOWED without loopback: the scraper is another container, never loopback.
    """

    def __init__(self, folder: Path, database_url: str, redis_url: str):
        self.folder = folder
        self.http, self.https, self.web_port = free_port(), free_port(), free_port()
        self.site = f"https://127.0.0.1:{self.https}"
        self.token = uuid.uuid4().hex
        data = folder / "data"
        self.media = data / "media"
        given = {
            "SECRET_KEY": "kit-" + uuid.uuid4().hex * 2,
            "PARLEY_DOMAIN": "127.0.0.1",
            "POSTGRES_PASSWORD": "unused",
            "DEFAULT_FROM_EMAIL": "Parley <parley@chat.test>",
            "METRICS_TOKEN": self.token,
        }
        # Each replaces a value the service's compose environment has (never adds one).
        overrides = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.web_port),
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "UPLOAD_DIR": str(data / "uploads"),
            "MEDIA_ROOT": str(self.media),
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
            "SITE_URL": self.site,
        }
        # The image's environment (Dockerfile ENV) with its data folder here, a Redis key
        # prefix of this test's own, and (web) a scraper address that is not loopback.
        base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
        base.update(
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONUNBUFFERED="1",
            PARLEY_DATA_DIR=str(data),
            PARLEY_REDIS_PREFIX=f"parleykit{uuid.uuid4().hex[:8]}",
        )
        self.env: dict[str, dict[str, str]] = {}
        for name in ("migrate", "web", "worker", "beat"):
            env = service_env(name, given)
            env.update((key, value) for key, value in overrides.items() if key in env)
            self.env[name] = {**base, **env}
        self.env["web"]["METRICS_ALLOWED"] = "192.0.2.0/24"
        assert self.env["web"]["PARLEY_JOBS"] == "0" and self.env["web"]["DEBUG"] == "false"
        assert all(self.env[name]["SITE_URL"] == self.site for name in self.env)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        data.mkdir(parents=True)
        # Folders nginx's workers (nobody) walk through to the uploads; Parley writes 0644 files
        # and 0755 folders (FILE_UPLOAD_PERMISSIONS, docs/deploy.md "Uploads").
        for path in (folder, data):
            path.chmod(0o755)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.folder / f"{name}.log", "wb") as out:
            self.procs[name] = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _python(self, name: str) -> list[str]:
        command = list(compose()["services"][name]["command"])
        assert command[0] == "python"
        return [sys.executable, *command[1:]]

    def start(self) -> None:
        done = subprocess.run(
            self._python("migrate"), cwd=ROOT, env=self.env["migrate"], capture_output=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr
        for name in ("web", "worker", "beat"):
            self._start(name, self._python(name), self.env[name])
        nginx, conf = prepared_nginx(
            self.folder, upstream=f"127.0.0.1:{self.web_port}", http=self.http, https=self.https
        )
        self._start("nginx", [nginx, "-p", str(self.folder), "-c", str(conf)])
        self.wait_for("the web's /healthz", lambda: self.direct("/healthz").status_code == 200)
        self.wait_for(
            "nginx", lambda: httpx.get(f"http://127.0.0.1:{self.http}/nginx-health").status_code == 200
        )

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"{name} exited: {self.log(name)[-3000:]}"
            try:
                if condition():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.1)
        logs = "\n".join(f"--- {name}\n{self.log(name)[-1500:]}" for name in self.procs)
        raise AssertionError(f"waited {timeout} s for {what}\n{logs}")

    def direct(self, path: str, **headers: str) -> httpx.Response:
        """A request to the web's own port, as a probe or Prometheus on the compose network
        makes it: `Host: web:8000`."""
        return httpx.get(
            f"http://127.0.0.1:{self.web_port}{path}", headers={"Host": "web:8000", **headers}, timeout=10
        )

    def client(self, token: str = "") -> httpx.Client:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return httpx.Client(base_url=self.site, verify=self.tls(), headers=headers, timeout=30)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.folder / "tls" / "fullchain.pem"))

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def kit() -> Iterator[Kit]:
    _db, redis_url = services_or_skip()
    nginx_binary()
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("the web client is not built (make frontend)")
    # Not under pytest's own temporary folder (0700): nginx's workers must reach the uploads.
    folder = Path(tempfile.mkdtemp(prefix="parley-kit-"))
    try:
        with private_database("postgres") as db:
            running = Kit(folder, db, redis_url)
            try:
                running.start()
                yield running
            finally:
                running.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def noise_png(side: int) -> bytes:
    """A PNG of random pixels: it does not compress, so its size is about 3 bytes a pixel."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        out, format="PNG", compress_level=0
    )
    return out.getvalue()


async def ws_conversation(kit: Kit, token: str, room_id: int) -> dict[str, Any]:
    url = f"wss://127.0.0.1:{kit.https}/ws/?token={token}"
    async with websockets.connect(
        url, origin=Origin(kit.site), ssl=kit.tls(), compression=None, open_timeout=15
    ) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert hello["type"] == "hello"
        await ws.send(
            json.dumps({"type": "send", "room": room_id, "body": "through nginx", "client_id": "kit-1"})
        )
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if frame["type"] == "ack":
                return frame  # type: ignore[no-any-return]
            assert frame["type"] != "error", frame


@pytest.mark.services
@pytest.mark.processes
def test_the_kit_serves_parley_through_nginx(kit: Kit) -> None:
    # Port 80: the health check, the ACME challenge (certbot's webroot), the rest to HTTPS.
    plain = f"http://127.0.0.1:{kit.http}"
    assert httpx.get(f"{plain}/nginx-health").text == "ok\n"
    (kit.folder / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (kit.folder / "acme" / ".well-known" / "acme-challenge" / "tok3n").write_text("proof")
    (kit.folder / "acme").chmod(0o755)
    for path in (kit.folder / "acme").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert httpx.get(f"{plain}/.well-known/acme-challenge/tok3n").text == "proof"
    moved = httpx.get(f"{plain}/rooms")
    assert moved.status_code == 301 and moved.headers["location"] == "https://127.0.0.1/rooms"

    with kit.client() as anonymous:
        # The page, then each of its scripts and styles compressed on the way out.
        page = anonymous.get("/")
        assert page.status_code == 200 and "Strict-Transport-Security" in page.headers
        assets = sorted(set(re.findall(r'(?:src|href)="(/static/assets/[^"]+\.(?:js|css))"', page.text)))
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), page.text
        for url in assets:
            r = anonymous.get(url, headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200, url
            assert r.headers.get("content-encoding") == "gzip", (url, dict(r.headers))
            assert "Accept-Encoding" in r.headers.get("vary", ""), url
            if url.startswith("/static/assets/"):
                assert r.content == (ROOT / "frontend" / "dist" / url.removeprefix("/static/")).read_bytes()

        health = anonymous.get("/healthz")
        assert health.status_code == 200 and health.json() == {"database": "ok", "redis": "ok"}
        assert anonymous.get("/metrics").status_code == 404  # never public through nginx

        # Sign up with an address: the worker mails the link, pointing at SITE_URL.
        email = f"kit-{uuid.uuid4().hex[:8]}@example.org"
        signup = anonymous.post(
            "/api/v1/auth/register",
            json={"username": f"kit{uuid.uuid4().hex[:8]}", "password": PASSWORD, "email": email},
        )
        assert signup.status_code == 201, signup.text
        token = signup.json()["token"]

    with kit.client(token) as me:
        room = me.post("/api/v1/rooms", json={"name": f"kit-{uuid.uuid4().hex[:6]}", "visibility": "public"})
        assert room.status_code == 201, room.text
        room_id = room.json()["id"]

        # A WebSocket conversation through nginx's upgrade.
        ack = asyncio.run(ws_conversation(kit, token, room_id))
        assert ack["room"] == room_id and ack["client_id"] == "kit-1" and ack["seq"] >= 1
        assert [m["body"] for m in me.get(f"/api/v1/rooms/{room_id}/messages").json()["messages"]][-1:] == [
            "through nginx"
        ]

        # A 4 MiB profile picture: past nginx's 1m default for JSON, under the app's 5 MiB.
        picture = noise_png(1184)
        assert 4 * 2**20 <= len(picture) < 5 * 2**20
        avatar = me.post("/api/v1/me/avatar", files={"file": ("me.png", picture, "image/png")})
        assert avatar.status_code == 200, avatar.text[:500]
        url = avatar.json()["user"]["avatar"]
        shown = me.get(url)
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
        assert list(kit.media.glob("avatars/*.png")), (
            "the picture is kept under MEDIA_ROOT (the media volume)"
        )

        # An attachment: Parley checks membership, nginx's worker (another user) sends the bytes.
        attached = me.post(
            f"/api/v1/rooms/{room_id}/uploads", files={"file": ("notes.txt", b"kit notes\n", "text/plain")}
        )
        assert attached.status_code == 201, attached.text
        sent = me.get(attached.json()["url"])
        assert sent.status_code == 200 and sent.content == b"kit notes\n"
        assert "X-Accel-Redirect" not in sent.headers

    # The scrape docs/deploy.md describes: web:8000/metrics with the bearer token.
    scraped = kit.direct("/metrics", Authorization=f"Bearer {kit.token}")
    assert scraped.status_code == 200, scraped.text
    sent_total = re.search(r"^parley_messages_sent_total (\S+)$", scraped.text, re.M)
    assert sent_total is not None and float(sent_total.group(1)) >= 1
    assert kit.direct("/metrics").status_code == 403
    assert kit.direct("/healthz").json() == {"database": "ok", "redis": "ok"}

    # The worker's mail (the console backend until EMAIL_URL names a server) links to SITE_URL.
    kit.wait_for(
        "the verification mail in the worker's output", lambda: email in kit.log("worker"), timeout=30
    )
    mail = kit.log("worker")
    assert f"{kit.site}/" in mail and "127.0.0.1:8000" not in mail
    assert "From: Parley <parley@chat.test>" in mail
    # beat's compose health check: its schedule file under PARLEY_DATA_DIR.
    assert list((kit.folder / "data").glob("celerybeat-schedule*"))
    for name in ("web", "worker", "beat"):
        assert "Traceback" not in kit.log(name), kit.log(name)[-3000:]
