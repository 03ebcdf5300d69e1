"""The load generator: wrk (C, event-driven) in its own process, scripted in Lua.

Why wrk and not a Python client: on a 2-core machine the load generator shares the cores with
the servers it measures, so it must cost as little CPU per request as possible. Each run reports
wrk's own CPU time (``LoadResult.client_cpu_s``) so the report can show it is not the bottleneck.

A request body is ``head + seed + tail`` (a new seed per request: ``vary_seed``) or ``head``
alone; both parts are files that the Lua script reads once. ``done()`` prints one JSON line with
the counts and wrk's latency percentiles, which ``parse_output`` reads back.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "WRK_RESULT "
#: wrk's default is 2 s; a queue of 32 slow requests (an edit, a first-of-its-size canvas) can
#: take longer, and a timed-out request would be counted as an error rather than as a latency.
TIMEOUT_S = 30


class LoadGenError(RuntimeError):
    """wrk is missing, failed, or printed no result."""


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """What wrk sends: a POST with these headers and body ``head [+ seed + tail]``."""

    headers: dict[str, str]
    head: Path
    tail: Path | None = None  #: ``None``: the same body (``head``) on every request
    seed_start: int = 1

    @property
    def vary_seed(self) -> bool:
        return self.tail is not None


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  #: wrk's own user + system CPU seconds

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
            "error_count": self.error_count,
            "client_cpu_s": round(self.client_cpu_s, 3),
        }


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of printable ASCII is a valid Lua string literal


def lua_script(template: RequestTemplate) -> str:
    """The wrk script for ``template`` (bodies are read from files, so any bytes are safe)."""
    lines = [
        f"local head = assert(io.open({_lua_string(str(template.head))}, 'rb')):read('*a')",
        'wrk.method = "POST"',
        *(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in template.headers.items()),
    ]
    if template.vary_seed:
        lines += [
            f"local tail = assert(io.open({_lua_string(str(template.tail))}, 'rb')):read('*a')",
            f"local seed = {int(template.seed_start) - 1}",
            "function request()",
            "  seed = seed + 1",
            "  return wrk.format(nil, nil, nil, head .. string.format('%d', seed) .. tail)",
            "end",
        ]
    else:
        lines.append("wrk.body = head")
    lines += [
        "function done(summary, latency, requests)",
        "  local e = summary.errors",
        f"  io.write({_lua_string(MARKER)} .. string.format("
        '\'{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
        '"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\\n\',',
        "    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),",
        "    e.status, e.connect, e.read, e.write, e.timeout))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def parse_output(stdout: str, client_cpu_s: float = 0.0) -> LoadResult:
    """The ``LoadResult`` from wrk's output (the line that ``done()`` printed)."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            errors = {k: int(raw[k]) for k in ("status", "connect", "read", "write", "timeout") if raw[k]}
            return LoadResult(
                requests=int(raw["requests"]),
                duration_s=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                errors=errors,
                client_cpu_s=client_cpu_s,
            )
    raise LoadGenError(f"wrk printed no result line; its output was:\n{stdout[-2000:]}")


def wrk_path() -> str | None:
    return shutil.which("wrk")


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first if it is missing (the machines run as root)."""
    found = wrk_path()
    if found:
        return found
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise LoadGenError(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    found = wrk_path()
    if not found:
        raise LoadGenError("wrk is still missing after apt-get install wrk")
    return found


def run(
    url: str, template: RequestTemplate, *, concurrency: int, duration_s: float, workdir: Path, wrk: str = "wrk"
) -> LoadResult:
    """Drive ``url`` for ``duration_s`` seconds with ``concurrency`` keep-alive connections."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise LoadGenError(f"refusing to load anything but this machine: {url}")
    script = workdir / f"wrk-{template.head.stem}-{template.seed_start}.lua"
    script.write_text(lua_script(template))
    # One wrk thread drives every connection: a second would only take CPU from the servers.
    command = [
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={TIMEOUT_S}s",
        "-s",
        str(script),
        url,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise LoadGenError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return parse_output(done.stdout, client_cpu_s=cpu)
