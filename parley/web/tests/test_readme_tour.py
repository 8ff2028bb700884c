"""The README's quick tour, run as written against a live server, so the docs cannot drift.

The shell block after "A quick tour" is taken from README.md, pointed at the test
server's port and run with bash: it registers, creates a room and talks over the
WebSocket (hello, then the message and its ack).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from parley.testing.live import ROOT, ServerProcess

pytestmark = [pytest.mark.processes, pytest.mark.embedded_only]


def tour_commands() -> str:
    """The README's tour: the first ```sh block after the words "A quick tour"."""
    text = (ROOT / "README.md").read_text()
    assert "A quick tour" in text, "README.md lost its quick tour"
    after = text.split("A quick tour", 1)[1]
    return after.split("```sh\n", 1)[1].split("\n```", 1)[0]


def test_the_readme_tour_works_as_written(live_server_embedded: ServerProcess) -> None:
    commands = tour_commands()
    assert "localhost:8000" in commands
    script = commands.replace("localhost:8000", f"localhost:{live_server_embedded.port}")
    # `python` is this interpreter (the project's virtualenv), as the README asks.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            ["bash", "-c", "set -eo pipefail\n" + script],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    frames = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "hello" and kinds[-1] == "ack", kinds
    message = next(f for f in frames if f["type"] == "message")
    assert message["message"]["body"] == "hello"
    assert message["message"]["sender"]["username"] == "alice"
