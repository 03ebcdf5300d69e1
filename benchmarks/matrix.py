"""The side-by-side runs: every scenario against the mock, the ceiling and Prism.

This machine's speed drifts by tens of percent over minutes, so servers that are compared are
measured taking turns, not one after the other. For each scenario and worker count a *group* runs
at once: the mock (its answer to the probe request is captured for the ceiling), the ceiling with
the same workers and, with the largest worker count, Prism. Each is started fresh, probed once (a
wrong answer is reported, not measured) and warmed up. Then, at each concurrency, every server
gets ``rounds`` load runs, in an order that rotates from round to round, each after every server
of the group has worked off its backlog. A row shows the round with the median rate (its latency
and CPU figures are that round's) and the errors of all rounds; the rates of every round are kept
in the raw results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from . import loadgen, servers, stats
from .ceiling import save_response
from .scenarios import Scenario
from .servers import Server, ServerError

#: How long to wait for a server to work off a previous run's backlog before measuring again.
IDLE_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Plan:
    #: Seconds of one load run (a round).
    duration_s: float
    warmup_s: float
    rounds: int = 5
    #: Prism's warm-up. Node's JIT keeps speeding it up long after the Python servers have reached
    #: their rate (once each worker has built its caches): in five 4 s rounds at concurrency 1 after
    #: a 2 s warm-up, Prism went 1395, 1527, 1629, 1625, 1619 req/s. Measured early, it looks slower
    #: than it is; the comparison is with a Prism at its own steady rate.
    prism_warmup_s: float = 0.0
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
    #: Requests per second of every round, in the order they ran.
    round_rps: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "server": self.server,
            "workers": self.workers,
            "concurrency": self.concurrency,
            "load": None if self.load is None else self.load.to_json(),
            "peak_rss_mib": None if self.peak_rss_mib is None else round(self.peak_rss_mib, 1),
            "server_cpu_ms_per_request": None
            if self.server_cpu_ms_per_request is None
            else round(self.server_cpu_ms_per_request, 3),
            "note": self.note,
            "round_rps": [round(rps, 1) for rps in self.round_rps],
        }


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


def warmup_connections(workers: int, miss_odds: float = 1e-4) -> int:
    """Connections for the warm-up: every worker must build its caches (the canvases among them,
    tens of milliseconds each) before it is measured, without a backlog that a slow server would
    still be working off when the measured runs start. The kernel hands each new connection to a
    worker's socket by a hash, not in turn: two connections for two workers both went to one
    worker about half the time, and a measured round at concurrency 1 then met a cold worker. So:
    the fewest connections that leave some worker without one at odds below ``miss_odds``."""
    if workers == 1:
        return 1
    return math.ceil(math.log(miss_odds / workers) / math.log(1 - 1 / workers))


def probe(server: Server, scenario: Scenario) -> httpx.Response:
    answer = httpx.post(server.url, content=scenario.probe_body, headers=scenario.headers(), timeout=60.0)
    media_type = answer.headers.get("content-type", "").split(";")[0].strip()
    if answer.status_code != 200 or media_type != scenario.expect:
        raise ServerError(f"{server.kind} answered {answer.status_code} {media_type!r}: {answer.text[:300]!r}")
    return answer


@dataclass(frozen=True, slots=True)
class _Round:
    load: loadgen.LoadResult
    cpu_ms_per_request: float | None
    idle: bool


@dataclass
class _Entrant:
    """One server of a group, and the rounds it has run at each concurrency."""

    kind: str
    server: Server
    note: str = ""
    rounds: dict[int, list[_Round]] = field(default_factory=dict)
    #: Why it stopped serving, and at which concurrency (it runs no further rounds).
    failure: str = ""
    failed_at: int | None = None


def _failed(scenario: Scenario, kind: str, workers: int, concurrencies: Sequence[int], why: str) -> list[Row]:
    return [Row(scenario.name, kind, workers, c, note=why) for c in concurrencies]


def _join(
    stack: contextlib.ExitStack,
    kind: str,
    start: Callable[[], Server],
    scenario: Scenario,
    ctx: Context,
    warmup_s: float,
    on_probe: Callable[[httpx.Response], None] | None = None,
) -> Server | str:
    """The server started, probed and warmed up (stopped when ``stack`` closes), or why not."""
    try:
        server = start()
    except (ServerError, OSError) as exc:
        return f"did not start: {exc}"
    stack.callback(server.stop)
    try:
        answer = probe(server, scenario)
        if on_probe is not None:
            on_probe(answer)
        loadgen.run(
            server.url,
            scenario.template(ctx.workdir, ctx.seed_start()),
            concurrency=warmup_connections(server.workers),
            duration_s=warmup_s,
            workdir=ctx.workdir,
            wrk=ctx.wrk,
        )
    except (ServerError, loadgen.LoadGenError, httpx.HTTPError) as exc:
        return f"not served: {exc}"
    return server


def _one_round(
    entrant: _Entrant, group: Sequence[_Entrant], scenario: Scenario, concurrency: int, ctx: Context
) -> _Round:
    # Every server of the group idle first (each one waited for: no short cut), since one's leftover
    # work would slow another's run.
    idles = [member.server.wait_idle(IDLE_TIMEOUT_S) for member in group]
    idle = all(idles)
    server = entrant.server
    cpu_before = server.cpu_seconds()
    result = loadgen.run(
        server.url,
        scenario.template(ctx.workdir, ctx.seed_start()),
        concurrency=concurrency,
        duration_s=ctx.plan.duration_s,
        workdir=ctx.workdir,
        wrk=ctx.wrk,
    )
    cpu = (server.cpu_seconds() - cpu_before) * 1000 / result.requests if result.requests else None
    return _Round(result, cpu, idle)


def _rows(entrant: _Entrant, scenario: Scenario, concurrencies: Sequence[int]) -> list[Row]:
    server = entrant.server
    rows = []
    peak = server.peak_rss_mib()
    for concurrency in concurrencies:
        rounds = entrant.rounds.get(concurrency, [])
        if not rounds:
            rows.append(Row(scenario.name, entrant.kind, server.workers, concurrency, note=entrant.failure))
            continue
        middle = stats.median([r.load.rps for r in rounds])
        median = next(r for r in rounds if r.load.rps == middle)
        errors = sum((Counter(r.load.errors) for r in rounds), Counter())
        load = dataclasses.replace(median.load, errors=dict(errors))
        busy = "" if all(r.idle for r in rounds) else f"a server was still busy {IDLE_TIMEOUT_S:g} s after a run"
        failure = entrant.failure if concurrency == entrant.failed_at else ""
        rows.append(
            Row(
                scenario.name,
                entrant.kind,
                server.workers,
                concurrency,
                load,
                peak,
                median.cpu_ms_per_request,
                busy or failure or entrant.note,
                tuple(r.load.rps for r in rounds),
            )
        )
    return rows


def _race(group: list[_Entrant], scenario: Scenario, ctx: Context) -> None:
    for concurrency in ctx.plan.concurrencies:
        for number in range(ctx.plan.rounds):
            turn = number % len(group)
            for entrant in group[turn:] + group[:turn]:
                if entrant.failure:
                    continue
                try:
                    measured = _one_round(entrant, group, scenario, concurrency, ctx)
                except (loadgen.LoadGenError, httpx.HTTPError) as exc:
                    entrant.failure = f"not served: {exc}"
                    entrant.failed_at = concurrency
                    continue
                entrant.rounds.setdefault(concurrency, []).append(measured)
                load = measured.load
                ctx.progress(
                    f"  {entrant.kind:8} {entrant.server.workers}w c={concurrency:<3} round {number + 1}  "
                    f"{load.rps:8.1f} req/s  p50 {load.p50_ms:7.2f} ms  p99 {load.p99_ms:7.2f} ms  "
                    f"errors {load.error_count}"
                )


def _run_group(scenario: Scenario, workers: int, with_prism: bool, ctx: Context) -> list[Row]:
    concurrencies = ctx.plan.concurrencies
    response = ctx.workdir / f"{scenario.name}.response.json"

    def capture(answer: httpx.Response) -> None:
        save_response(response, answer.status_code, dict(answer.headers), answer.content)

    rows: list[Row] = []
    group: list[_Entrant] = []
    with contextlib.ExitStack() as stack:

        def enter(
            kind: str,
            start: Callable[[], Server],
            count: int,
            note: str = "",
            on_probe: Callable[[httpx.Response], None] | None = None,
        ) -> None:
            plan = ctx.plan
            warmup_s = max(plan.prism_warmup_s, plan.warmup_s) if kind == "prism" else plan.warmup_s
            joined = _join(stack, kind, start, scenario, ctx, warmup_s, on_probe)
            if isinstance(joined, str):
                rows.extend(_failed(scenario, kind, count, concurrencies, joined))
            else:
                group.append(_Entrant(kind, joined, note))

        enter(
            "mock",
            partial(servers.start_mock, workers, ctx.logdir),
            workers,
            on_probe=None if response.exists() else capture,
        )
        if response.exists():
            enter("ceiling", partial(servers.start_ceiling, workers, response, ctx.logdir), workers)
        else:
            rows += _failed(scenario, "ceiling", workers, concurrencies, "no mock answer to replay")
        if with_prism and ctx.prism is not None:
            enter("prism", partial(servers.start_prism, ctx.prism, ctx.logdir), 1, note=scenario.prism_note)
        if group:
            _race(group, scenario, ctx)
        for entrant in group:
            rows += _rows(entrant, scenario, concurrencies)
    return rows


def run_scenario(scenario: Scenario, ctx: Context) -> list[Row]:
    """The scenario's rows; Prism runs in the group with the most workers (its comparison is with those)."""
    ctx.progress(f"{scenario.name}: {scenario.title}")
    rows: list[Row] = []
    for workers in ctx.plan.workers:
        rows += _run_group(scenario, workers, workers == max(ctx.plan.workers), ctx)
    if ctx.prism is None:
        rows += _failed(scenario, "prism", 1, ctx.plan.concurrencies, ctx.prism_missing or "Prism is not installed")
    return rows


def run(scenarios: Sequence[Scenario], ctx: Context) -> list[Row]:
    return [row for scenario in scenarios for row in run_scenario(scenario, ctx)]
