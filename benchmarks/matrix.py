"""The side-by-side runs: every scenario against the mock, the ceiling and Prism.

For each scenario, in this order so that drift between the three stays small: the mock with 1
worker (its answer to the probe request is captured for the ceiling), the ceiling with 1
worker, the same two with 2 workers, then Prism. Each server is started fresh, probed once
(a wrong answer is reported, not measured), warmed up, then driven at each concurrency.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from . import loadgen, servers
from .ceiling import save_response
from .scenarios import Scenario
from .servers import Server, ServerError

#: How long to wait for a server to work off a previous run's backlog before measuring again.
IDLE_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Plan:
    duration_s: float
    warmup_s: float
    concurrencies: tuple[int, ...] = (1, 32)
    workers: tuple[int, ...] = (1, 2)


@dataclass(slots=True)
class Row:
    scenario: str
    server: str
    workers: int
    concurrency: int
    load: loadgen.LoadResult | None = None
    peak_rss_mib: float | None = None
    server_cpu_ms_per_request: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "server": self.server, "workers": self.workers,
            "concurrency": self.concurrency, "load": None if self.load is None else self.load.to_json(),
            "peak_rss_mib": None if self.peak_rss_mib is None else round(self.peak_rss_mib, 1),
            "server_cpu_ms_per_request": None if self.server_cpu_ms_per_request is None
            else round(self.server_cpu_ms_per_request, 3),
            "note": self.note,
        }  # fmt: skip


@dataclass
class Context:
    plan: Plan
    workdir: Path
    logdir: Path
    wrk: str
    prism: Path | None
    prism_missing: str = ""
    progress: Callable[[str], None] = print
    _seeds: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def seed_start(self) -> int:
        """A fresh range of 10 million seeds per load run: a measured request never hits a cache
        filled by the warm-up or by another run."""
        return next(self._seeds) * 10_000_000 + 1


def probe(server: Server, scenario: Scenario) -> httpx.Response:
    answer = httpx.post(server.url, content=scenario.probe_body, headers=scenario.headers(), timeout=60.0)
    media_type = answer.headers.get("content-type", "").split(";")[0].strip()
    if answer.status_code != 200 or media_type != scenario.expect:
        raise ServerError(f"{server.kind} answered {answer.status_code} {media_type!r}: {answer.text[:300]!r}")
    return answer


def _measure(server: Server, scenario: Scenario, ctx: Context) -> list[Row]:
    plan = ctx.plan
    # One connection per worker: enough to build each worker's caches, without queueing a backlog
    # that a slow server would still be working off when the measured run starts.
    loadgen.run(server.url, scenario.template(ctx.workdir, ctx.seed_start()), concurrency=server.workers,
                duration_s=plan.warmup_s, workdir=ctx.workdir, wrk=ctx.wrk)  # fmt: skip
    rows = []
    for concurrency in plan.concurrencies:
        idle = server.wait_idle(IDLE_TIMEOUT_S)
        template = scenario.template(ctx.workdir, ctx.seed_start())
        cpu_before = server.cpu_seconds()
        result = loadgen.run(server.url, template, concurrency=concurrency, duration_s=plan.duration_s,
                             workdir=ctx.workdir, wrk=ctx.wrk)  # fmt: skip
        cpu = (server.cpu_seconds() - cpu_before) * 1000 / result.requests if result.requests else None
        note = "" if idle else f"still busy {IDLE_TIMEOUT_S:g} s after the previous run"
        rows.append(Row(scenario.name, server.kind, server.workers, concurrency, result, None, cpu, note))
        ctx.progress(f"  {server.kind:8} {server.workers}w c={concurrency:<3} {result.rps:8.1f} req/s  "
                     f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.error_count}")
    peak = server.peak_rss_mib()
    for row in rows:
        row.peak_rss_mib = peak
    return rows


def _failed(scenario: Scenario, kind: str, workers: int, plan: Plan, why: str) -> list[Row]:
    return [Row(scenario.name, kind, workers, c, note=why) for c in plan.concurrencies]


def _run_one(start: Callable[[], Server], scenario: Scenario, kind: str, workers: int, ctx: Context,
             on_probe: Callable[[httpx.Response], None] | None = None, note: str = "") -> list[Row]:  # fmt: skip
    try:
        server = start()
    except (ServerError, OSError) as exc:
        return _failed(scenario, kind, workers, ctx.plan, f"did not start: {exc}")
    try:
        answer = probe(server, scenario)
        if on_probe is not None:
            on_probe(answer)
        rows = _measure(server, scenario, ctx)
    except (ServerError, loadgen.LoadGenError, httpx.HTTPError) as exc:
        rows = _failed(scenario, kind, workers, ctx.plan, f"not served: {exc}")
    finally:
        server.stop()
    for row in rows:
        row.note = row.note or note
    return rows


def run_scenario(scenario: Scenario, ctx: Context) -> list[Row]:
    ctx.progress(f"{scenario.name}: {scenario.title}")
    response = ctx.workdir / f"{scenario.name}.response.json"

    def capture(answer: httpx.Response) -> None:
        save_response(response, answer.status_code, dict(answer.headers), answer.content)

    rows: list[Row] = []
    for workers in ctx.plan.workers:
        rows += _run_one(partial(servers.start_mock, workers, ctx.logdir), scenario, "mock", workers, ctx,
                         on_probe=capture if not response.exists() else None)  # fmt: skip
        if not response.exists():
            rows += _failed(scenario, "ceiling", workers, ctx.plan, "no mock answer to replay")
            continue
        rows += _run_one(partial(servers.start_ceiling, workers, response, ctx.logdir), scenario, "ceiling",
                         workers, ctx)  # fmt: skip
    if ctx.prism is None:
        return rows + _failed(scenario, "prism", 1, ctx.plan, ctx.prism_missing or "Prism is not installed")
    return rows + _run_one(partial(servers.start_prism, ctx.prism, ctx.logdir), scenario, "prism", 1, ctx,
                           note=scenario.prism_note)  # fmt: skip


def run(scenarios: Sequence[Scenario], ctx: Context) -> list[Row]:
    return [row for scenario in scenarios for row in run_scenario(scenario, ctx)]
