"""``eigen-mock serve --workers 2``: every worker shows one journal, fault queue, rate limit and
model library, over a real socket, with each request on a fresh connection (so both workers serve)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_server.serving.workers import listening_sockets
from tests.fixtures.client import T2I
from tests.fixtures.servers import free_port, server_process

AUTH = {"Authorization": "Bearer eigen-mock-key"}
URL = "/api/v1/generate"


@pytest.fixture(scope="module")
def two_workers() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--workers", "2", "--no-s3", "--port", str(port),
               "--log-level", "warning"]
    with server_process(command, port=port) as url:
        yield url


@pytest.fixture
def url(two_workers: str) -> str:
    assert fresh(two_workers, "POST", "/_mock/reset").status_code == 204
    return two_workers


def fresh(base: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request on its own connection: the kernel hands each new connection to either worker."""
    with httpx.Client(base_url=base, timeout=30) as client:
        return client.request(method, path, **kwargs)


def test_both_workers_serve(url: str) -> None:
    pids = set()
    for _ in range(60):
        pids.add(fresh(url, "GET", "/_mock/health").json()["pid"])
        if len(pids) == 2:
            break
    assert len(pids) == 2


def test_a_one_shot_fault_fires_once_whichever_worker_serves(url: str) -> None:
    fresh(url, "POST", "/_mock/faults", json={"status": 503})
    statuses = [fresh(url, "POST", URL, json=T2I, headers=AUTH).status_code for _ in range(10)]
    assert sorted(statuses) == [200] * 9 + [503] and statuses[0] == 503
    assert {len(fresh(url, "GET", "/_mock/faults").json()["faults"]) for _ in range(6)} == {0}


def test_every_worker_shows_the_whole_journal(url: str) -> None:
    ids = [fresh(url, "POST", URL, json={**T2I, "seed": seed}, headers=AUTH).headers["x-request-id"]
           for seed in range(8)]
    journals = [[entry["request_id"] for entry in fresh(url, "GET", "/_mock/requests").json()["requests"]]
                for _ in range(6)]
    assert all(journal == ids for journal in journals)


def test_the_rate_limit_counts_across_workers(url: str) -> None:
    fresh(url, "PUT", "/_mock/rate-limit", json={"limit": 4, "window_seconds": 60})
    statuses = [fresh(url, "POST", URL, json=T2I, headers=AUTH).status_code for _ in range(8)]
    assert statuses == [200] * 4 + [429] * 4


def test_a_replaced_model_library_is_every_workers(url: str) -> None:
    library = fresh(url, "GET", "/_mock/models").json()
    library["models"] = [{**model, "id": "shared-model"} for model in library["models"] if model["id"] == "qwen-image"]
    assert fresh(url, "PUT", "/_mock/models", json=library).status_code == 200
    statuses = {fresh(url, "POST", URL, json={**T2I, "model": "shared-model"}, headers=AUTH).status_code
                for _ in range(6)}
    assert statuses == {200}
    assert {len(fresh(url, "GET", "/_mock/models").json()["models"]) for _ in range(6)} == {1}


def test_a_burst_of_connections_is_spread_over_the_workers(url: str) -> None:
    # Opened all at once, as a client pool or a load generator opens them, then used in turn.
    host, port = url.removeprefix("http://").split(":")
    connections = [socket.create_connection((host, int(port)), timeout=30) for _ in range(16)]
    try:
        pids = [_health_pid(connection) for connection in connections]
    finally:
        for connection in connections:
            connection.close()
    assert len(set(pids)) == 2, pids  # one worker per connection; all 16 on one has odds of 1 in 32768


def _health_pid(connection: socket.socket) -> int:
    connection.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    pid: int = json.loads(answer.split(b"\r\n\r\n", 1)[1])["pid"]
    return pid


def test_a_port_in_use_is_refused_with_a_message(two_workers: str) -> None:
    port = two_workers.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--workers", "2", "--no-s3", "--port", port],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr + done.stdout


def test_a_worker_that_dies_stops_the_server() -> None:
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--workers", "2", "--no-s3", "--port", str(port),
               "--log-level", "warning"]
    with server_process(command, port=port) as base:
        pid = fresh(base, "GET", "/_mock/health").json()["pid"]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _answers(base):
            time.sleep(0.1)
        assert not _answers(base)


def _answers(base: str) -> bool:
    try:  # a connection queued on the dead worker's socket would wait, never fail: hence the timeout
        httpx.get(f"{base}/_mock/health", timeout=2)
    except httpx.TransportError:
        return False
    return True


def test_connections_to_a_worker_socket_have_nagle_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets that say they are TCP: without it a kept-alive
    connection now and then held an answer's last segment for a 40 ms delayed ACK."""
    listener = listening_sockets("127.0.0.1", 0, 1)[0]

    async def nodelay_of_accepted() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname())
            try:
                return await asyncio.wait_for(accepted, timeout=10)
            finally:
                writer.close()

    assert asyncio.run(nodelay_of_accepted()) != 0
