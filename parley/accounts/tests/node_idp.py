"""The certified OpenID provider (`oidc-provider` on Node, parley/accounts/tests/idp) started on
loopback for a test: its own node_modules are installed from its lock (`npm ci`) the first time."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parley.testing.live import ServerProcess, base_env, free_port, migrate, private_database, unavailable
from parley.testing.waits import wait_until

IDP_DIR = Path(__file__).resolve().parent / "idp"
CLIENT_ID, CLIENT_SECRET = "parley-test", "parley-test-secret-0123456789"


def _installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("Node.js and npm are needed for the OpenID provider (apt-get install nodejs npm)")
    # `make test` installs it before its passes; a test run by hand installs it here, one
    # process at a time (two passes side by side must not both run npm ci in one folder).
    with (Path(tempfile.gettempdir()) / "parley-test-idp-npm.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (IDP_DIR / "node_modules" / "oidc-provider").exists():
            return
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=IDP_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if done.returncode != 0:
        unavailable(f"npm ci of the test IdP failed: {done.stderr[-500:]}")


class NodeIdp:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def node_idp(
    redirect_uris: list[str], accounts: dict[str, dict[str, object]], port: int = 0
) -> Iterator[NodeIdp]:
    """oidc-provider with one confidential client (CLIENT_ID) allowed `redirect_uris`, on `port`
    (chosen before the Parley server that names it as its issuer starts) or a free one."""
    _installed()
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix="parley-idp-", suffix=".log")[1])
    clients = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}]
    env = {**os.environ, "IDP_PORT": str(port), "IDP_CLIENTS": json.dumps(clients)}
    env["IDP_ACCOUNTS"] = json.dumps(accounts)
    with log.open("wb") as out:
        proc = subprocess.Popen(["node", "provider.mjs"], cwd=IDP_DIR, env=env, stdout=out, stderr=out)
    idp = NodeIdp(port, log)

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the IdP exited: {idp.output()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{idp.url}/.well-known/openid-configuration", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    try:
        wait_until(up, timeout=30, what="the OpenID provider to answer")
        yield idp
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.unlink(missing_ok=True)


@contextmanager
def parley_with_idp(
    database: str, accounts: dict[str, dict[str, object]], **extra: str
) -> Iterator[tuple[ServerProcess, NodeIdp]]:
    """A live Parley server whose OIDC issuer is a fresh oidc-provider (its client registered
    with the server's callback), on a private database of kind `database`."""
    _installed()
    port = free_port()
    with private_database(database) as db:
        env = base_env(
            db,
            OIDC_ISSUER=f"http://127.0.0.1:{port}",
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_NAME="Example SSO",
            **extra,
        )
        migrate(env)
        server = ServerProcess(env).start()
        try:
            with node_idp([f"{server.url}/auth/oidc/callback"], accounts, port=port) as idp:
                yield server, idp
        finally:
            server.stop()
