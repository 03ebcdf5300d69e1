"""Soak: one mock worker under concurrency 32 for minutes, its memory sampled as it goes.

Passes when no request failed and the RSS at the end is within 10% of the RSS after the first
fifth of the run (the first minute of the full 5-minute soak): caches are filled by then, so
growth after it would be a leak (an unbounded journal, say).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import loadgen, procinfo, servers
from .scenarios import Scenario


@dataclass(slots=True)
class Soak:
    duration_s: float
    load: loadgen.LoadResult | None = None
    samples: list[tuple[float, float]] = field(default_factory=list)  #: (seconds since start, RSS MiB)
    note: str = ""

    def rss_at(self, seconds: float) -> float | None:
        """The first sample taken at or after ``seconds``."""
        return next((rss for t, rss in self.samples if t >= seconds), None)

    @property
    def baseline_s(self) -> float:
        return self.duration_s / 5

    @property
    def growth(self) -> float | None:
        """RSS at the end over RSS at the end of the first fifth, minus one."""
        base = self.rss_at(self.baseline_s)
        end = self.samples[-1][1] if self.samples else None
        return None if not base or end is None else end / base - 1

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "load": None if self.load is None else self.load.to_json(),
            "baseline_s": self.baseline_s,
            "rss_baseline_mib": self.rss_at(self.baseline_s),
            "rss_end_mib": self.samples[-1][1] if self.samples else None,
            "growth": None if self.growth is None else round(self.growth, 4),
            "samples": [(round(t, 1), round(rss, 1)) for t, rss in self.samples],
            "note": self.note,
        }


def _sample(pid: int, soak: Soak, stop: threading.Event, every_s: float) -> None:
    start = time.monotonic()
    while not stop.wait(every_s):
        soak.samples.append((time.monotonic() - start, procinfo.rss_mib(pid)))


def run(scenario: Scenario, duration_s: float, workdir: Path, logdir: Path, wrk: str, seed_start: int) -> Soak:
    soak = Soak(duration_s)
    server = servers.start_mock(1, logdir)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(server.process.pid, soak, stop, max(0.5, duration_s / 100)))
    try:
        sampler.start()
        soak.load = loadgen.run(
            server.url,
            scenario.template(workdir, seed_start),
            concurrency=32,
            duration_s=duration_s,
            workdir=workdir,
            wrk=wrk,
        )
    except (loadgen.LoadGenError, servers.ServerError) as exc:
        soak.note = str(exc)
    finally:
        stop.set()
        sampler.join()
        server.stop()
    return soak
