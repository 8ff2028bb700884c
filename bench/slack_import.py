"""The Slack import's benchmark (issue 32): builds an export of `--messages` messages in
Slack's format (parley.testing.slack_export: 4 channels, a private channel, a group DM, a
DM, a thread, reactions, an edit, files), migrates a fresh database, and times
`manage.py import_slack` on it, then a second run (which must make nothing).

    python -m bench.slack_import --messages 10000                 # a fresh SQLite file
    DATABASE_URL=postgres://.../fresh_db python -m bench.slack_import   # an EMPTY database

Prints one JSON object on the last line: seconds for each run and messages per second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(env: dict[str, str], *args: str) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
        env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        env.pop("REDIS_URL", None)
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        from parley.testing.slack_export import build_export

        export = Path(tmp) / "export.zip"
        build_export(export, messages=args.messages)
        _manage(env, "migrate", "--no-input")
        first, took = _manage(env, "import_slack", "--quiet", str(export))
        second, took_again = _manage(env, "import_slack", "--quiet", str(export))
    made = re.search(r"Imported \d+ people, \d+ rooms, (\d+) messages.* in ([\d.]+) s", first)
    assert made is not None, first
    assert "0 messages" in second.splitlines()[0], second
    messages, inside = int(made.group(1)), float(made.group(2))
    print(first.strip(), file=sys.stderr)
    print(
        json.dumps(
            {
                "workload": "slack-import",
                "database": env["DATABASE_URL"].split(":", 1)[0],
                "messages": messages,
                "import_s": round(inside, 2),
                "command_s": round(took, 2),
                "messages_per_s": round(messages / inside),
                "second_run_s": round(took_again, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
