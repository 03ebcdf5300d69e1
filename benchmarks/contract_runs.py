"""``python -m benchmarks.contract_runs``: ``eigen-mock check`` against a troubled mock (issue 16's figures).

Three scenarios, each against ``eigen-mock serve`` started as its own process on 127.0.0.1:

* ``resets``: a fault resets 7% of connections (``CONNECTION_RESET_BY_PEER``, probability 0.07,
  every request); ten runs in a row must each complete with every check listed, exit 1.
* ``rate-limit``: ``--rate-limit 60 --rate-limit-window 10``; a ``--max-requests 300`` run must pass
  and report its retries.
* ``delay``: 1 s on every request; ``--max-requests 60`` with ``--concurrency 8`` against 1: the
  times and whether the verdicts match.

Not part of ``make bench`` (it takes minutes and measures the suite, not the mock).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .servers import free_port

KEY = "eigen-mock-key"


@contextmanager
def mock(*options: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--no-s3", "--log-level", "warning"]
    process = subprocess.Popen([*command, *options], start_new_session=True, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/_mock/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def fault(url: str, spec: dict[str, Any]) -> None:
    httpx.post(f"{url}/_mock/faults", json=spec, timeout=5).raise_for_status()


def check(url: str, *options: str) -> tuple[int, float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "contract_tests", "--base-url", url, "--api-key", KEY, "--report", str(report),
             *options],
            capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        data = json.loads(report.read_text()) if report.exists() else {"checks": [], "stdout": done.stdout[-2000:]}
    return done.returncode, elapsed, data


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["outcome"] for item in data["checks"]}


def resets(runs: int) -> None:
    for index in range(runs):
        with mock() as url:
            fault(url, {"fault": "CONNECTION_RESET_BY_PEER", "probability": 0.07, "times": None})
            code, elapsed, data = check(url, "--max-requests", "300")
        outcomes = verdicts(data)
        resets_seen = sum(
            1 for item in data["checks"] for v in item["violations"] if "broke the connection" in v["message"]
        )
        failed = sorted(cid for cid, outcome in outcomes.items() if outcome == "failed")
        print(
            f"resets run {index + 1}: exit {code}, {elapsed:.1f} s, {len(outcomes)} checks listed, "
            f"complete={data.get('complete')}, {resets_seen} reset violations, failed: {', '.join(failed)}"
        )


def rate_limit() -> None:
    with mock("--rate-limit", "60", "--rate-limit-window", "10") as url:
        code, elapsed, data = check(url, "--max-requests", "300")
    counts = {outcome: list(verdicts(data).values()).count(outcome) for outcome in set(verdicts(data).values())}
    print(
        f"rate limit: exit {code}, {elapsed:.1f} s, requests {data['requests']['spent']}/{data['requests']['cap']}, "
        f"retries {data['requests']['retries']}, waited {data['waited_seconds']} s, {counts}"
    )
    for item in data["checks"]:
        if item["outcome"] != "passed":
            print(f"  {item['outcome']} {item['id']}: {item['reason']}")


def delay(requests: int, concurrency: tuple[int, ...]) -> None:
    seen: dict[int, dict[str, str]] = {}
    for level in concurrency:
        with mock() as url:
            fault(url, {"fixedDelayMilliseconds": 1000, "times": None})
            code, elapsed, data = check(url, "--max-requests", str(requests), "--concurrency", str(level))
        seen[level] = verdicts(data)
        by_check = {item["id"]: item["requests"] for item in data["checks"]}
        print(
            f"delay 1 s, --concurrency {level}: exit {code}, {elapsed:.1f} s, "
            f"{data['requests']['spent']} requests, per check {by_check}"
        )
    first = seen[concurrency[0]]
    print(f"same verdicts: {all(v == first for v in seen.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contract_runs", description=__doc__)
    parser.add_argument("scenario", nargs="*", default=["resets", "rate-limit", "delay"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--requests", type=int, default=60, help="--max-requests of the delay scenario")
    args = parser.parse_args()
    if "resets" in args.scenario:
        resets(args.runs)
    if "rate-limit" in args.scenario:
        rate_limit()
    if "delay" in args.scenario:
        delay(args.requests, (1, 8))


if __name__ == "__main__":
    main()
