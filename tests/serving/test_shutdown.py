"""Stopping the server: SIGTERM waits at most --graceful-timeout for requests in flight, then cuts them."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fixtures.client import T2I
from tests.fixtures.servers import free_port, mock_command, wait_until_healthy

pytestmark = pytest.mark.e2e
TEN_MINUTES = json.dumps({"fixedDelayMilliseconds": 600_000})
SLOW_BODY = json.dumps({"chunkedDribbleDelay": {"numberOfChunks": 100, "totalDuration": 600_000}})


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_cuts_an_injected_delay_at_the_graceful_timeout(workers: int) -> None:
    output, took, answer = stop_during(TEN_MINUTES, workers)
    assert 1 <= took < 10, output[-2000:]  # the graceful second, then the cut: not the ten minutes
    assert isinstance(answer, httpx.Response), answer
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "model_unavailable"
    assert "shutting down" in answer.json()["error"]["message"] and answer.headers["retry-after"] == "1"


def test_sigterm_cuts_an_answer_sent_slowly_and_the_client_sees_it_end_early() -> None:
    output, took, answer = stop_during(SLOW_BODY, workers=1)
    assert 1 <= took < 10, output[-2000:]
    assert isinstance(answer, httpx.RemoteProtocolError), answer  # the body stopped short of its length
    assert "cut short: the server is stopping" in output


def stop_during(fault: str, workers: int) -> tuple[str, float, httpx.Response | Exception]:
    """Serve, start a request with ``fault``, SIGTERM the server once the call is journalled; the
    server's output, the seconds it took to stop, and what the client got. Checks the server
    stopped cleanly (no traceback)."""
    port = free_port()
    command = mock_command(
        "--no-s3", "--port", str(port), "--log-level", "info", "--workers", str(workers), "--graceful-timeout", "1"
    )
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(_post, f"{url}/api/v1/generate", fault)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not httpx.get(f"{url}/_mock/requests", timeout=5).json()["count"]:
                time.sleep(0.05)  # the call is journalled (pending) once its delay has begun
            stopping = time.monotonic()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            took = time.monotonic() - stopping
            answer = waiting.result(timeout=30)
        output = server.stdout.read().decode(errors="replace") if server.stdout else ""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    # uvicorn re-raises the SIGTERM it handled once it has stopped (the exit a supervisor expects).
    assert server.returncode in (0, -signal.SIGTERM), output[-2000:]
    assert "Traceback" not in output and "Exception in ASGI application" not in output, output[-2000:]
    assert "returned without" not in output, output[-2000:]
    return output, took, answer


def _post(url: str, fault: str) -> httpx.Response | Exception:
    try:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=T2I, headers={"Authorization": "Bearer eigen-mock-key", "X-Mock-Fault": fault})
    except httpx.HTTPError as exc:
        return exc
