"""Clients that misbehave on the wire: gone mid-upload, or too slow to send a request at all."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from mock_server import Call, MockServer, Settings

pytestmark = pytest.mark.e2e
HEAD = (b"POST /api/v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer eigen-mock-key\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")


@pytest.fixture
def mock_with_log() -> Iterator[MockServer]:
    with MockServer(Settings(access_log=True)) as server:
        yield server


def connect(server: MockServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def wait_for(found: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not found() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_client_gone_mid_upload_is_no_answer_not_a_bug(mock_with_log: MockServer,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eigen_mock")
    with connect(mock_with_log) as client:
        client.sendall(HEAD + b'{"model": "eigen-image", "prompt": "' + b"x" * 1000)
        wait_for(lambda: False, timeout=0.2)  # the server reads what came, then waits for the rest
    wait_for(lambda: mock_with_log.requests.called)
    call: Call = mock_with_log.requests.last
    assert (call.method, call.path, call.status, call.error_code) == ("POST", "/api/v1/generate", None, None)
    wait_for(lambda: any(r.name == "eigen_mock.access" for r in caplog.records))
    lines = [r.getMessage() for r in caplog.records if r.name == "eigen_mock.access"]
    assert lines == [f"POST /api/v1/generate - {lines[0].split()[3]} {call.request_id}"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


def test_a_client_gone_mid_upload_to_the_control_plane_is_not_a_bug(mock_with_log: MockServer,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eigen_mock")
    with connect(mock_with_log) as client:
        client.sendall(HEAD.replace(b"/api/v1/generate", b"/_mock/faults") + b'{"status": 50')
        wait_for(lambda: False, timeout=0.2)
    wait_for(lambda: any(r.name == "eigen_mock.access" for r in caplog.records))
    lines = [r.getMessage() for r in caplog.records if r.name == "eigen_mock.access"]
    assert len(lines) == 1 and lines[0].startswith("POST /_mock/faults - ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
