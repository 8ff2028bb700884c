"""Matrix Synapse, the durable Python chat server people run today, as a peer in the bench
(issue 34): its own venv (`.venv-synapse`, the pinned release from PyPI), its own
PostgreSQL database, a homeserver made for the run, users registered through the admin
API with the shared secret, and the rooms of the workloads, joined by their members.

Configured as a small team would run it on PostgreSQL, with two changes, both in its
favour: no rate limits (the bench's senders would be throttled at Synapse's defaults,
10 messages/s per user is fine but joins and logins are not) and cheap password hashing
(bcrypt rounds 4; only the fixture's registrations hash). Presence stays on, as shipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-synapse")
PYTHON = os.path.join(VENV, "bin", "python")
# The release measured; the report names it.
VERSION = "1.163.2"
HOME = os.path.join(ROOT, "bench", "results", "synapse")
DB = os.environ.get("BENCH_SYNAPSE_DB", "parley_bench_synapse")
SERVER_NAME = "bench.local"
SHARED_SECRET = "bench-synapse-registration-secret"
PASSWORD = "bench-password-0"


def ensure_venv() -> None:
    """Synapse in a venv of its own: its pins (Twisted, its Rust module) are not Parley's."""
    if os.path.exists(os.path.join(VENV, ".installed-" + VERSION)):
        return
    if not os.path.exists(PYTHON):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"matrix-synapse[postgres]=={VERSION}",
        ],
        check=True,
    )
    open(os.path.join(VENV, ".installed-" + VERSION), "w").close()


def config(port: int, pg: dict) -> str:
    """Write the homeserver's configuration (and its signing key) for `port`; its path."""
    os.makedirs(HOME, exist_ok=True)
    path = os.path.join(HOME, "homeserver.yaml")
    cfg = {
        "server_name": SERVER_NAME,
        "pid_file": os.path.join(HOME, "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "psycopg2",
            "args": {
                "user": pg["user"],
                "host": pg["host"],
                "port": int(pg["port"]),
                "database": DB,
                "cp_min": 5,
                "cp_max": 10,
            },
        },
        "log_config": os.path.join(HOME, "log.yaml"),
        "media_store_path": os.path.join(HOME, "media"),
        "signing_key_path": os.path.join(HOME, "signing.key"),
        "registration_shared_secret": SHARED_SECRET,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "enable_registration": False,
        "bcrypt_rounds": 4,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        # No throttling: the senders go at 5 msg/s each, the fixture joins hundreds at once.
        **{
            name: {"per_second": 100000, "burst_count": 100000}
            for name in ("rc_message", "rc_registration", "rc_admin_redaction", "rc_3pid_validation")
        },
        "rc_login": {
            k: {"per_second": 100000, "burst_count": 100000}
            for k in ("address", "account", "failed_attempts")
        },
        "rc_joins": {k: {"per_second": 100000, "burst_count": 100000} for k in ("local", "remote")},
        "rc_joins_per_room": {"per_second": 100000, "burst_count": 100000},
        "rc_invites": {
            k: {"per_second": 100000, "burst_count": 100000} for k in ("per_room", "per_user", "per_issuer")
        },
    }
    with open(path, "w") as fh:
        json.dump(cfg, fh, indent=1)  # JSON is YAML
    with open(os.path.join(HOME, "log.yaml"), "w") as fh:
        json.dump(
            {
                "version": 1,
                "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "plain",
                        "filename": os.path.join(HOME, "homeserver.log"),
                    }
                },
                "root": {"level": "WARNING", "handlers": ["file"]},
                "disable_existing_loggers": False,
            },
            fh,
        )
    if not os.path.exists(cfg["signing_key_path"]):
        subprocess.run(
            [PYTHON, "-m", "synapse.app.homeserver", "-c", path, "--generate-keys"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def fresh_database(pg: dict) -> None:
    """Synapse wants a database with C collation; each run starts from an empty one."""
    import psycopg

    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(
            f"CREATE DATABASE \"{DB}\" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        )
    shutil.rmtree(os.path.join(HOME, "media"), ignore_errors=True)


# ------------------------------------------------------------------ fixtures over the API
class Api:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for attempt in range(20):
            try:
                with urllib.request.urlopen(req, timeout=120) as resp:
                    return json.loads(resp.read() or b"{}")
            except urllib.error.HTTPError as e:
                if e.code == 429 or e.code >= 500:
                    time.sleep(0.2 * (attempt + 1))  # the server is busy: back off and retry
                    continue
                raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:300]!r}") from e
        raise RuntimeError(f"{method} {path}: no success after retries")

    def register(self, name: str) -> str:
        """A user through the admin API's shared-secret registration; their access token."""
        nonce = self.call("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), PASSWORD.encode(), b"notadmin"]))
        out = self.call(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce, "username": name, "password": PASSWORD, "admin": False, "mac": mac.hexdigest()},
        )
        return str(out["access_token"])


def fixtures(port: int, users: int, rooms: dict[str, int]) -> tuple[list[str], dict[str, str]]:
    """`users` accounts and each room of `rooms` (name → members: the first that many users
    join it). Returns the tokens by user index and the room ids by name."""
    api = Api(port)
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda i: api.register(f"bench{i}"), range(users)))
    ids: dict[str, str] = {}
    for name, members in rooms.items():
        room_id = api.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"preset": "public_chat", "name": name, "room_alias_name": f"bench-{name}"},
            token=tokens[0],
        )["room_id"]
        ids[name] = room_id
        path = f"/_matrix/client/v3/join/{urllib.parse.quote(room_id)}"
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda t, path=path: api.call("POST", path, {}, token=t), tokens[1:members]))
    return tokens, ids
