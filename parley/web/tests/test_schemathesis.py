"""The REST API against its own OpenAPI schema, with Schemathesis, on a live server.

Every operation of `/api/schema/` gets a bounded, derandomised batch of generated
requests (valid ones, then invalid ones), sent with the Token of a registered user who
owns a room with messages. Every answer must be a non-5xx that the schema documents:
status code, content type, headers and body.

Room and user ids in paths are mapped onto a small pool of rows this test made (the
user's own room, a public and a private room of someone else, a room that does not
exist), so generated requests reach real rows without touching other tests' data;
ids outside 32 bits are sent as generated. Logout runs with a fresh guest's token per
request, so it cannot revoke the token the run depends on.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis

from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes, pytest.mark.embedded_only]

MAX_EXAMPLES = {"positive": 20, "negative": 10}
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
# Run last: they close or leave rooms of the pool, which would turn later requests into 409s.
LAST = (
    "DELETE /api/v1/messages/{message_id}",
    "DELETE /api/v1/rooms/{room_id}",
    "POST /api/v1/rooms/{room_id}/leave",
)
MISSING_ROOM = 2_000_000_000


class Pool:
    """Rows for path parameters: the owner's room, others' rooms, users."""

    def __init__(self, server: ServerProcess):
        self.url = server.url
        self.owner = RemoteUser.register(server.url)
        other = RemoteUser.register(server.url)
        self.member = RemoteUser.register(server.url)
        own = self.owner.create_room(f"st-own-{uuid.uuid4().hex[:8]}", topic="schemathesis")
        self.member.join(own["id"])
        mine = []
        for i in range(5):
            r = self.owner.http.post(
                f"rooms/{own['id']}/messages", json={"body": f"m{i} @{other.user['username']}"}
            )
            r.raise_for_status()
            mine.append(r.json()["id"])
        public = other.create_room(f"st-pub-{uuid.uuid4().hex[:8]}")
        private = other.create_room(f"st-priv-{uuid.uuid4().hex[:8]}", visibility="private")
        theirs = [
            other.http.post(f"rooms/{room['id']}/messages", json={"body": "not yours"}).json()["id"]
            for room in (public, private)
        ]
        self.messages = [*mine, *theirs, MISSING_ROOM]
        self.rooms = [own["id"], own["id"], public["id"], private["id"], MISSING_ROOM]
        self.users = [self.owner.user["id"], self.member.user["id"], other.user["id"], MISSING_ROOM]
        other.http.close()

    def close(self) -> None:
        self.owner.http.close()
        self.member.http.close()

    def fresh_token(self) -> str:
        r = httpx.post(f"{self.url}/api/v1/auth/guest", json={"nickname": f"st{uuid.uuid4().hex[:12]}"})
        r.raise_for_status()
        return str(r.json()["token"])


def pick(value: Any, pool: list[int]) -> Any:
    if isinstance(value, int) and 0 <= value < 2**31:
        return pool[value % len(pool)]
    return value


def test_every_answer_is_documented_and_no_5xx(live_server_embedded: ServerProcess) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode, checks

    pool = Pool(live_server_embedded)
    schema = schemathesis.openapi.from_url(live_server_embedded.url + "/api/schema/", timeout=10)
    selected = [getattr(checks, name) for name in CHECKS]
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations.sort(key=lambda op: op.label in LAST)
    examples: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: dict[tuple[str, str], str] = {}
    requests_sent = [0]
    session = requests.Session()

    def run(case: Any, mode: str) -> None:
        label = case.operation.label
        examples[label] += 1
        if case.path_parameters:
            for key, ids in (("room_id", pool.rooms), ("user_id", pool.users), ("message_id", pool.messages)):
                if key in case.path_parameters:
                    case.path_parameters[key] = pick(case.path_parameters[key], ids)
        token = pool.fresh_token() if label == "POST /api/v1/auth/logout" else pool.owner.token
        credentials = [f"Token {token}"]
        if examples[label] == 1:
            # Once per operation: no credentials, and a token that does not exist.
            credentials += ["", "Token " + "0" * 40]
        for auth in credentials:
            if case.headers:
                case.headers.pop("Authorization", None)
            session.cookies.clear()
            response = case.call(
                base_url=live_server_embedded.url,
                session=session,
                headers={"Authorization": auth} if auth else {},
                timeout=10,
            )
            requests_sent[0] += 1
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=selected)
            except (Exception, BaseExceptionGroup) as exc:  # collect them all, then report once
                kinds = [line.strip() for line in str(exc).splitlines() if line.startswith("- ")]
                failures.setdefault(
                    (label, str(kinds)),
                    f"{mode}: {case.method} {case.formatted_path} -> {response.status_code} "
                    f"(auth: {auth[:6] or 'none'}) {kinds}\n{str(exc)[:800]}",
                )

    def batch(operation: Any, mode: str) -> Any:
        @settings(
            max_examples=MAX_EXAMPLES[mode],
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        def generated(case: Any) -> None:
            run(case, mode)

        return generated

    for operation in operations:
        for mode in MAX_EXAMPLES:
            # Some operations have no invalid input (no parameters, no body).
            with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                batch(operation, mode)()

    session.close()
    pool.close()
    print(
        f"\nSchemathesis: {len(operations)} operations, {sum(examples.values())} generated cases, "
        f"{requests_sent[0]} requests; statuses {dict(sorted(statuses.items()))}"
    )
    assert len(operations) >= 20
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures.values())
