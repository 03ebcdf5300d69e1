"""Realistic latency: answers take their processing_time_seconds (or a fixed or drawn time) while
the waiting holds no thread; set for the server or per request by X-Mock-Latency (the fixture's
way is docs/client-testing.md's example, run by test_doc_examples.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import MockServer, Settings
from mock_server.faults.latency import MAX_SECONDS, Latency, LatencyError, remaining
from mock_server.settings import SettingsError
from tests.fixtures.client import T2I

#: processing_time_seconds 0.56 (eigen-image: 0.35 + 0.05 x 1.048576 MP x 4 steps).
SQUARE_1024 = {"model": "eigen-image", "prompt": "a red fox", "seed": 7, "num_inference_steps": 4}


@pytest.fixture(scope="module")
def model_latency() -> Iterator[MockServer]:
    """A mock whose answers take their processing time; one thread renders (none may wait in it)."""
    with MockServer(Settings(access_log=False, latency="model", render_threads=1)) as server:
        yield server


def timed_post(
    mock: MockServer,
    body: dict[str, object],
    headers: dict[str, str] | None = None,
) -> tuple[float, httpx.Response]:
    with httpx.Client(base_url=mock.url, headers={**mock.headers, **(headers or {})}, timeout=30) as client:
        client.post("/api/v1/generate", json={**T2I, "seed": 99}, headers={"X-Mock-Latency": "off"})  # connected
        started = time.perf_counter()
        answer = client.post("/api/v1/generate", json=body)
        return time.perf_counter() - started, answer


def test_a_1024_square_image_answers_after_its_processing_time(model_latency: MockServer) -> None:
    elapsed, answer = timed_post(model_latency, SQUARE_1024)
    expected = answer.json()["processing_time_seconds"]
    assert (answer.json()["width"], answer.json()["height"], expected) == (1024, 1024, 0.56)
    assert expected <= elapsed <= expected + 0.05


async def raw_post(url: str, body: dict[str, object], headers: dict[str, str]) -> int:
    """POST over a fresh connection with asyncio's streams; the status. httpx's async client spends
    milliseconds of this process's GIL per request, which the in-process server then waits for."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    data = json.dumps(body).encode()
    lines = [
        "POST /api/v1/generate HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    answer = await reader.read()
    writer.close()
    return int(answer.split(b" ", 2)[1])


def test_two_hundred_delayed_requests_wait_together_in_one_worker(model_latency: MockServer) -> None:
    async def burst() -> list[int]:
        # One body: rendered once, so the test times the waiting, not 200 renders on a busy CI core.
        body = {**T2I, "binary_response": True}
        return await asyncio.gather(*(raw_post(model_latency.url, body, model_latency.headers) for _ in range(200)))

    wait = timed_post(model_latency, T2I)[1].json()["processing_time_seconds"]
    started = time.perf_counter()
    statuses = asyncio.run(burst())
    elapsed = time.perf_counter() - started
    assert statuses == [200] * 200
    # Each waits 0.74 s; waiting in the one render thread, 200 would take 200 x 0.74 s.
    assert wait <= elapsed < 5 * wait


def test_x_mock_latency_sets_one_request_s_latency(model_latency: MockServer, live_mock: MockServer) -> None:
    fixed, answer = timed_post(live_mock, T2I, {"X-Mock-Latency": "300ms"})
    assert answer.status_code == 200 and fixed >= 0.3
    at_once, _ = timed_post(model_latency, T2I, {"X-Mock-Latency": "off"})
    assert at_once < 0.3
    bad = httpx.post(
        f"{live_mock.url}/api/v1/generate", json=T2I, headers={**live_mock.headers, "X-Mock-Latency": "soon"}
    )
    assert bad.status_code == 400 and "X-Mock-Latency" in bad.json()["error"]["message"]


def test_errors_are_answered_at_once(model_latency: MockServer) -> None:
    elapsed, answer = timed_post(model_latency, {**SQUARE_1024, "width": 5})
    assert answer.status_code == 400 and elapsed < 0.3


@given(st.floats(0, MAX_SECONDS), st.floats(0, MAX_SECONDS), st.sampled_from(["", "ms", "s"]))
def test_a_latency_range_parses_and_draws_within_its_ends(low: float, high: float, unit: str) -> None:
    low, high = sorted((low, high))
    divisor = 1000 if unit == "ms" else 1
    latency = Latency.parse(f"{low:.3f}{unit}-{high:.3f}{unit}")
    assert latency is not None and latency.kind == "range"
    drawn = latency.seconds(1.0)
    assert round(low, 3) / divisor - 1e-9 <= drawn <= round(high, 3) / divisor + 1e-9
    assert remaining(drawn, drawn + 1) == 0 and remaining(drawn, 0) == drawn


@given(st.floats(0, 100), st.floats(0, 100))
def test_the_model_latency_is_the_processing_time_scaled(processing: float, scale: float) -> None:
    latency = Latency.parse("model", scale)
    assert latency is not None and latency.seconds(processing) == min(processing * scale, MAX_SECONDS)


@pytest.mark.parametrize("text", ["soon", "3-1", "-1", "1-", "601", "2 minutes", "1e3"])
def test_a_latency_that_means_nothing_is_refused(text: str) -> None:
    with pytest.raises(LatencyError):
        Latency.parse(text)
    with pytest.raises(SettingsError):
        Settings(latency=text)
