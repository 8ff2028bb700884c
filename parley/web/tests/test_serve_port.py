"""`python -m parley.serve` with PORT=0 reports the port it bound (PARLEY_PORT_FILE), so
servers started side by side never pick a port in advance and race for it."""

from __future__ import annotations

import urllib.request

import pytest

from parley.testing.live import ServerProcess, base_env, migrate, private_database


@pytest.mark.processes
@pytest.mark.embedded_only
def test_servers_started_side_by_side_bind_port_0_and_report_what_they_got() -> None:
    with private_database("sqlite") as db:
        env = base_env(db)
        migrate(env)
        servers = [ServerProcess(env), ServerProcess(env)]
        assert {server.env["PORT"] for server in servers} == {"0"}  # nothing picked in advance
        try:
            for server in servers:
                server.start()
            ports = {server.port for server in servers}
            assert len(ports) == 2 and 0 not in ports
            for server in servers:
                assert int(server.port_file.read_text()) == server.port
                with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
                    assert r.status == 200
        finally:
            for server in servers:
                server.stop()


@pytest.mark.processes
@pytest.mark.embedded_only
def test_a_stopped_server_starts_again_on_the_port_it_reported() -> None:
    with private_database("sqlite") as db:
        env = base_env(db)
        migrate(env)
        first = ServerProcess(env).start()
        port = first.port
        first.stop()
        again = ServerProcess(env, port=port).start()
        try:
            assert again.port == port
        finally:
            again.stop()
