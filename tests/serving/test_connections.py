"""Clients that misbehave on the wire: gone mid-upload, or too slow to send a request at all."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from mock_server import Call, MockServer, Settings

pytestmark = pytest.mark.e2e
HEAD = (
    b"POST /api/v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer eigen-mock-key\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
)


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


def test_a_client_gone_mid_upload_is_no_answer_not_a_bug(
    mock_with_log: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
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


def test_a_client_gone_mid_upload_to_the_control_plane_is_not_a_bug(
    mock_with_log: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="eigen_mock")
    with connect(mock_with_log) as client:
        client.sendall(HEAD.replace(b"/api/v1/generate", b"/_mock/faults") + b'{"status": 50')
        wait_for(lambda: False, timeout=0.2)
    wait_for(lambda: any(r.name == "eigen_mock.access" for r in caplog.records))
    lines = [r.getMessage() for r in caplog.records if r.name == "eigen_mock.access"]
    assert len(lines) == 1 and lines[0].startswith("POST /_mock/faults - ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.fixture
def impatient_mock() -> Iterator[MockServer]:
    with MockServer(Settings(access_log=False, header_timeout=0.5, body_timeout=0.5)) as server:
        yield server


def closed_within(client: socket.socket, seconds: float) -> bool:
    """True if the server closes the connection within ``seconds`` (it sends nothing first)."""
    client.settimeout(seconds)
    try:
        return client.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_connection_that_never_sends_a_byte_is_closed(impatient_mock: MockServer) -> None:
    with connect(impatient_mock) as silent:
        assert closed_within(silent, 10)


def test_headers_that_never_end_are_cut_off(impatient_mock: MockServer) -> None:
    with connect(impatient_mock) as dribbling:
        dribbling.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        assert closed_within(dribbling, 10)


def test_a_body_shorter_than_its_content_length_is_cut_off_and_journalled(impatient_mock: MockServer) -> None:
    with connect(impatient_mock) as short:
        short.sendall(HEAD + b'{"model": "eigen-image"')
        assert closed_within(short, 10)
    wait_for(lambda: impatient_mock.requests.called)
    assert impatient_mock.requests.last.status is None


def test_a_kept_alive_connection_still_serves_and_its_next_headers_are_timed(impatient_mock: MockServer) -> None:
    body = b'{"model": "eigen-image", "prompt": "a", "seed": 1, "width": 512, "height": 512}'
    request = HEAD.replace(b"100000", str(len(body)).encode()) + body
    with connect(impatient_mock) as client:
        for _ in range(2):
            client.sendall(request)
            answer = b""
            while b"image_sha256" not in answer or not answer.endswith(b"}"):
                chunk = client.recv(1 << 20)
                assert chunk, answer[:200]
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ")
        client.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost:")
        assert closed_within(client, 10)


def test_a_slowloris_cannot_hold_the_server(impatient_mock: MockServer) -> None:
    connections = [connect(impatient_mock) for _ in range(64)]
    try:
        for index, connection in enumerate(connections):
            connection.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n"[: index % 30])
        assert all(closed_within(connection, 10) for connection in connections)
    finally:
        for connection in connections:
            connection.close()
    with connect(impatient_mock) as client:
        client.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 200 ")
