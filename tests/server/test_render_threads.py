"""Renders that leave the event loop (JPEG, edits, sources, S3) run at most ``render_threads`` at once."""

from __future__ import annotations

import os
import threading
import time

import anyio
import httpx
import pytest

from mock_server.generation.generator import Generation
from mock_server.generation.rules import Plan
from mock_server.runtime import Runtime, default_render_threads
from tests.fixtures.app import AppFactory

JPEG = {"model": "eigen-image", "prompt": "a fox", "width": 512, "height": 512, "output_format": "jpg"}


@pytest.mark.parametrize("threads", [1, 3])
def test_no_more_renders_run_at_once_than_render_threads(app_factory: AppFactory, threads: int) -> None:
    app = app_factory(render_threads=threads)
    runtime: Runtime = app.state.runtime
    generate, lock = runtime.generate, threading.Lock()
    running, most = 0, 0

    def counted(plan: Plan, request_id: str) -> Generation:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # long enough for every request to be waiting by now
        try:
            return generate(plan, request_id)
        finally:
            with lock:
                running -= 1

    runtime.generate = counted  # type: ignore[method-assign]

    async def send_all() -> list[int]:
        statuses: list[int] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock",
                                     headers={"Authorization": "Bearer eigen-mock-key"}) as client:  # fmt: skip
            async def one(seed: int) -> None:
                statuses.append((await client.post("/api/v1/generate", json={**JPEG, "seed": seed})).status_code)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for seed in range(8):
                        group.start_soon(one, seed)
        return statuses

    assert anyio.run(send_all) == [200] * 8
    assert most == threads  # with anyio's own limit (40 threads) all 8 would have run at once


@pytest.mark.parametrize(("cores", "threads"), [(1, 4), (2, 4), (3, 6), (16, 32)])
def test_the_default_is_two_renders_per_usable_core_and_at_least_four(
    monkeypatch: pytest.MonkeyPatch, cores: int, threads: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)  # the machine's count is not the process's share
    assert default_render_threads() == threads
