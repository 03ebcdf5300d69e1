"""What eigen-mock's two pytest plugins cost a test run that does not use them.

pytest loads every installed ``pytest11`` entry point in every run, so installing eigen-mock adds
``eigen_mock`` and ``eigen_contract`` to each of a project's pytest runs. This times a run of one
trivial test with both plugins loaded against the same run with ``-p no:eigen_mock -p
no:eigen_contract``, each a fresh interpreter in a directory with no configuration. The two
kinds run in pairs, in alternating order, so the machine's drift hits both alike; the result is
the median of the paired differences (target: within 30 ms), with each kind's median wall time,
CPU time (user + system: far steadier than wall time on a busy machine) and peak RSS.

Usage: ``python -m benchmarks.plugin_overhead [--pairs N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .stats import median

TARGET_MS = 30.0
WITHOUT = ("-p", "no:eigen_mock", "-p", "no:eigen_contract")
#: One pytest run in this interpreter; prints its peak RSS (KiB) as the last line.
_RUN = """
import resource, sys
import pytest
code = pytest.main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(directory: Path, extra: tuple[str, ...]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of ``pytest -q test_trivial.py`` with ``extra``."""
    cpu, began = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "-q", "-p", "no:cacheprovider", *extra, "test_trivial.py"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds, cpu = time.perf_counter() - began, _children_cpu() - cpu
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise RuntimeError(f"the trivial run failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, cpu, int(done.stdout.strip().splitlines()[-1])


def measure(pairs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="eigen-plugin-overhead-") as name:
        directory = Path(name)
        (directory / "test_trivial.py").write_text("def test_trivial():\n    assert True\n", encoding="utf-8")
        one_run(directory, ())  # warm the file system cache and the bytecode of both kinds
        one_run(directory, WITHOUT)
        loaded: list[tuple[float, float, int]] = []
        bare: list[tuple[float, float, int]] = []
        for index in range(pairs):
            if index % 2:
                bare.append(one_run(directory, WITHOUT))
                loaded.append(one_run(directory, ()))
            else:
                loaded.append(one_run(directory, ()))
                bare.append(one_run(directory, WITHOUT))

    def paired(index: int) -> float:
        return median([a[index] - b[index] for a, b in zip(loaded, bare, strict=True)])

    return {
        "pairs": pairs,
        "with_plugins_ms": median([run[0] for run in loaded]) * 1000,
        "without_plugins_ms": median([run[0] for run in bare]) * 1000,
        "overhead_ms": paired(0) * 1000,
        "with_plugins_cpu_ms": median([run[1] for run in loaded]) * 1000,
        "without_plugins_cpu_ms": median([run[1] for run in bare]) * 1000,
        "overhead_cpu_ms": paired(1) * 1000,
        "with_plugins_rss_mib": median([run[2] for run in loaded]) / 1024,
        "without_plugins_rss_mib": median([run[2] for run in bare]) / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plugin_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=21, help="paired runs (default 21)")
    result = measure(parser.parse_args(argv).pairs)
    print(json.dumps(result, indent=2))
    verdict = "within" if result["overhead_ms"] <= TARGET_MS else "OVER"
    print(
        f"plugin overhead {result['overhead_ms']:+.1f} ms wall, {result['overhead_cpu_ms']:+.1f} ms CPU "
        f"(median of {result['pairs']} pairs): {verdict} the {TARGET_MS:g} ms target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
