"""The issue's targets, judged from one run's figures: each a verdict, the value, and why.

Every comparison is a ratio between servers measured in the same run on the same machine,
because absolute speeds drift here from one run to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .growth import Cost
from .matrix import Row
from .scenarios import Scenario
from .soak import Soak
from .startup import Startup
from .stats import ratio


@dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    status: str  #: "met", "not met" or "n/a"
    value: str
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "status": self.status, "value": self.value, "why": self.why}


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "not met")


def find(rows: Sequence[Row], scenario: str, server: str, workers: int, concurrency: int) -> Row | None:
    return next(
        (
            r
            for r in rows
            if (r.scenario, r.server, r.workers, r.concurrency) == (scenario, server, workers, concurrency)
        ),
        None,
    )


def rps(row: Row | None) -> float | None:
    return None if row is None or row.load is None else row.load.rps


def beats_prism(rows: Sequence[Row], scenario: Scenario, concurrencies: Sequence[int], workers: int = 2) -> Verdict:
    parts = []
    outcomes = []
    for c in concurrencies:
        mock = rps(find(rows, scenario.name, "mock", workers, c))
        prism = rps(find(rows, scenario.name, "prism", 1, c))
        if mock is None or prism is None:
            parts.append(f"c={c}: not measured")
            continue
        outcomes.append(mock > prism)
        parts.append(
            f"c={c}: {mock:.0f} vs Prism {prism:.0f} req/s (x{mock / prism:.2f})"
            if prism
            else f"c={c}: {mock:.0f} req/s vs Prism 0 (no answer within the run)"
        )
    ok = all(outcomes) if outcomes else None
    target = f"{scenario.name}, mock {workers} workers: more req/s than Prism"
    if scenario.prism_note:
        return Verdict(target, "n/a", "; ".join(parts), scenario.prism_note + ": nothing to compare with")
    return Verdict(target, _status(ok), "; ".join(parts))


def repeat_vs_ceiling(
    rows: Sequence[Row], scenario: str, workers: Sequence[int], concurrencies: Sequence[int], floor: float = 0.5
) -> Verdict:
    parts = []
    outcomes = []
    for w in workers:
        for c in concurrencies:
            share = ratio(rps(find(rows, scenario, "mock", w, c)), rps(find(rows, scenario, "ceiling", w, c)))
            if share is not None:
                outcomes.append(share >= floor)
                parts.append(f"{w}w c={c}: {share:.0%}")
    ok = all(outcomes) if outcomes else None
    return Verdict(f"{scenario}: at least {floor:.0%} of the ceiling", _status(ok), ", ".join(parts))


def tail(rows: Sequence[Row], scenarios: Sequence[Scenario], concurrency: int = 32, limit: float = 4.0) -> Verdict:
    parts = []
    outcomes = []
    for scenario in (s for s in scenarios if s.is_1024):
        for row in (
            r
            for r in rows
            if r.scenario == scenario.name
            and r.server == "mock"
            and r.concurrency == concurrency
            and r.load is not None
            and r.load.p50_ms > 0
        ):
            assert row.load is not None
            spread = row.load.p99_ms / row.load.p50_ms
            outcomes.append(spread <= limit)
            parts.append(f"{scenario.name} {row.workers}w: x{spread:.2f}")
    ok = all(outcomes) if outcomes else None
    return Verdict(
        f"tail: p99 at most {limit:g}x p50 at c={concurrency}, 1024² scenarios", _status(ok), ", ".join(parts)
    )


def startup(mock: Startup | None, moto: Startup | None, limit: float = 2.0) -> Verdict:
    target = f"fixture start-up (mock + S3) at most {limit:g}x a bare ThreadedMotoServer"
    if mock is None or moto is None:
        return Verdict(target, "n/a", "not measured")
    share = mock.start_s / moto.start_s
    total_mock = mock.import_s + mock.start_s
    total_moto = moto.import_s + moto.start_s
    value = (
        f"{mock.start_s * 1000:.0f} ms vs {moto.start_s * 1000:.0f} ms (x{share:.2f}); imports "
        f"{mock.import_s * 1000:.0f} ms vs {moto.import_s * 1000:.0f} ms; imports and start "
        f"{total_mock * 1000:.0f} ms vs {total_moto * 1000:.0f} ms (x{total_mock / total_moto:.2f})"
    )
    return Verdict(target, _status(share <= limit), value)


def soak(result: Soak | None, limit: float = 0.10) -> Verdict:
    target = f"soak: zero errors, RSS at the end within {limit:.0%} of RSS after the first fifth"
    if result is None or result.load is None or result.growth is None:
        return Verdict(target, "n/a", result.note if result else "not run")
    errors = result.load.error_count
    growth = result.growth
    value = (
        f"{result.duration_s:g} s, {result.load.requests} requests, {errors} errors; RSS "
        f"{result.rss_at(result.baseline_s):.1f} -> {result.samples[-1][1]:.1f} MiB ({growth:+.1%})"
    )
    return Verdict(target, _status(errors == 0 and abs(growth) <= limit), value)


def growth(costs: Sequence[Cost]) -> Verdict:
    by_case = {c.case: c for c in costs}
    steps = [
        ("text-to-image 512x512 PNG", "text-to-image 1024x1024 PNG"),
        ("text-to-image 1024x1024 PNG", "text-to-image 2048x2048 PNG"),
        ("edit, 1 MP PNG source seen before, new seed", "edit, 4 MP JPEG source seen before, new seed"),
        ("edit, 1 MP PNG source never seen", "edit, 4 MP JPEG source never seen"),
    ]
    parts = []
    outcomes = []
    for small, large in steps:
        if small in by_case and large in by_case:
            a, b = by_case[small], by_case[large]
            time_growth = b.cpu_ms / a.cpu_ms
            pixel_growth = b.megapixels / a.megapixels
            outcomes.append(time_growth <= pixel_growth * 1.05)  # 5%: timer noise on sub-ms medians
            parts.append(f"{large}: x{time_growth:.2f} time for x{pixel_growth:.2f} pixels")
    ok = all(outcomes) if outcomes else None
    return Verdict("cost grows no faster than the pixel count", _status(ok), "; ".join(parts))


def load_generator(rows: Sequence[Row], limit: float = 0.5) -> Verdict:
    """wrk's own CPU share of one core in the fastest run: well under 1 means it had room to spare."""
    measured = [r for r in rows if r.load is not None and r.load.duration_s > 0]
    if not measured:
        return Verdict("load generator is not the bottleneck", "n/a", "not measured")
    fastest = max(measured, key=lambda r: r.load.rps if r.load else 0.0)
    assert fastest.load is not None
    share = fastest.load.client_cpu_s / fastest.load.duration_s
    value = (
        f"wrk used {share:.0%} of one core at the fastest run ({fastest.server} {fastest.workers}w "
        f"c={fastest.concurrency}, {fastest.scenario}, {fastest.load.rps:.0f} req/s)"
    )
    return Verdict("load generator is not the bottleneck", _status(share <= limit), value)
