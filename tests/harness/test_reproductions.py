"""Every reproduction of a run, replayed through a shell, sends the very request that failed.

A server that breaks one request in four (chosen by the body's hash) fails checks of every kind,
JSON and multipart; each ``curl`` of the JSON report is run by ``bash`` (the key exported as
``EIGEN_API_KEY``) and must reach the server with the method, path, Content-Type and body bytes
of a request the suite sent.
"""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from mock_server import Settings, create_app
from tests.fixtures.contract import RunContract
from tests.planted.middleware import Bug, Planted
from tests.planted.serving import serve
from tests.planted.wire import Answer, Sent, header

pytestmark = pytest.mark.e2e
KEY = "eigen-mock-key"


class OneInFour(Bug):
    """A 500 for one request body in four (by hash, so a replay gets the same answer); records all."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, bytes]] = []

    def request(self, sent: Sent) -> Sent | Answer:
        self.seen.append((sent.method, sent.path, header(sent.headers, "content-type") or "", sent.body))
        if hashlib.sha256(sent.body).digest()[0] < 64:
            return Answer(500, [(b"content-type", b"text/plain")], b"broken")
        return sent


def test_every_reproduction_replays_the_request_through_a_shell(run_contract: RunContract) -> None:
    bug = OneInFour()
    with serve(Planted(create_app(Settings(access_log=False)), bug)) as url:
        report = run_contract(url, "--max-requests", "60", api_key=KEY)
        original = set(bug.seen)
        commands = [v["curl"] for c in report.data["checks"] for v in c["violations"] if v["curl"]]
        bug.seen.clear()
        for command in commands:
            done = subprocess.run(
                ["bash", "-c", command + " -o /dev/null"],
                env={**os.environ, "EIGEN_API_KEY": KEY},
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert done.returncode == 0, (command, done.stderr)
    assert len(commands) >= 5
    assert any("multipart/form-data" in command for command in commands)
    assert len(bug.seen) == len(commands)
    assert set(bug.seen) <= original
    assert all(len(command) < 600 for command in commands)
