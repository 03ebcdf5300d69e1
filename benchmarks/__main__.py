"""``python -m benchmarks [--quick]``: run everything and write the report (see ``benchmarks/__init__``)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import environment, growth, loadgen, matrix, prism, report, scenarios, soak, startup, targets
from .servers import ROOT

# Five rounds, not three: with two workers a round's rate depends on how the kernel happened to split
# its connections between them, and a median of three still moved a verdict across its line.
FULL = {
    "duration_s": 3.0,
    "rounds": 5,
    "warmup_s": 2.0,
    "prism_warmup_s": 12.0,
    "soak_s": 300.0,
    "growth_n": 40,
    "startup_trials": 5,
}
QUICK = {
    "duration_s": 2.0,
    "rounds": 1,
    "warmup_s": 0.5,
    "prism_warmup_s": 0.5,
    "soak_s": 15.0,
    "growth_n": 6,
    "startup_trials": 1,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short runs (2 s each, 15 s soak) written to a temporary directory, for a smoke check",
    )
    parser.add_argument("--doc", type=Path, help="Markdown report (default docs/benchmarks.md; --quick: temporary)")
    parser.add_argument("--json", type=Path, help="raw results (default benchmarks/results/bench.json)")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", help="run only these scenarios")
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out (no npm install)")
    parser.add_argument("--no-soak", action="store_true")
    parser.add_argument("--duration", type=float, help="seconds per load run (a round)")
    parser.add_argument("--rounds", type=int, help="load runs per server and concurrency, taking turns")
    parser.add_argument("--soak-seconds", type=float)
    return parser


def _outputs(args: argparse.Namespace) -> tuple[Path, Path]:
    if args.quick and (args.doc is None or args.json is None):
        scratch = Path(tempfile.mkdtemp(prefix="eigen-bench-quick-"))
        return args.doc or scratch / "benchmarks.md", args.json or scratch / "bench.json"
    return args.doc or ROOT / "docs" / "benchmarks.md", args.json or ROOT / "benchmarks" / "results" / "bench.json"


def _prism(args: argparse.Namespace) -> tuple[Path | None, str]:
    if args.no_prism:
        return None, "left out (--no-prism)"
    try:
        return prism.ensure_prism(), ""
    except prism.PrismUnavailable as exc:
        print(f"Prism unavailable: {exc}", file=sys.stderr)
        return None, str(exc)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    knobs = dict(QUICK if args.quick else FULL)
    knobs["duration_s"] = args.duration or knobs["duration_s"]
    knobs["rounds"] = args.rounds or knobs["rounds"]
    knobs["soak_s"] = args.soak_seconds or knobs["soak_s"]
    started = time.monotonic()
    doc, raw = _outputs(args)
    wrk = loadgen.ensure_wrk()
    prism_exe, prism_missing = _prism(args)
    chosen = [s for s in scenarios.build() if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory(prefix="eigen-bench-") as scratch:
        workdir = Path(scratch) / "bodies"
        logdir = Path(scratch) / "logs"
        workdir.mkdir()
        logdir.mkdir()
        plan = matrix.Plan(
            duration_s=knobs["duration_s"],
            warmup_s=knobs["warmup_s"],
            rounds=int(knobs["rounds"]),
            prism_warmup_s=knobs["prism_warmup_s"],
        )
        ctx = matrix.Context(plan, workdir, logdir, wrk, prism_exe, prism_missing)
        results = report.Results(meta={}, scenarios=chosen)
        results.rows = matrix.run(chosen, ctx)
        print("cost growth ...")
        results.costs = growth.measure(int(knobs["growth_n"]))
        print("fixture start-up ...")
        results.startup = startup.measure(int(knobs["startup_trials"]))
        if not args.no_soak:
            print(f"soak ({knobs['soak_s']:g} s) ...")
            results.soak = soak.run(scenarios.build()[0], knobs["soak_s"], workdir, logdir, wrk, 4_000_000_000 - 10**8)
    results.verdicts = _verdicts(results, plan)
    results.meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "duration_s": plan.duration_s,
        "rounds": plan.rounds,
        "warmup_s": plan.warmup_s,
        "prism_warmup_s": plan.prism_warmup_s,
        "elapsed_s": time.monotonic() - started,
        "environment": environment.describe(ROOT, wrk),
    }
    report.write(results, doc, raw)
    print(f"wrote {doc} and {raw} ({results.meta['elapsed_s'] / 60:.1f} min)")
    return 0


def _verdicts(results: report.Results, plan: matrix.Plan) -> list[targets.Verdict]:
    rows = results.rows
    by_name = {s.name: s for s in results.scenarios}
    verdicts = []
    if "t2i-new-seed" in by_name:
        verdicts.append(targets.beats_prism(rows, by_name["t2i-new-seed"], plan.concurrencies))
    if "t2i-repeat" in by_name:
        verdicts.append(targets.repeat_vs_ceiling(rows, "t2i-repeat", plan.workers, plan.concurrencies))
    verdicts += [
        targets.beats_prism(rows, by_name[name], plan.concurrencies)
        for name in ("t2i-repeat", "jpeg-2048-binary", "edit-1mp-upload")
        if name in by_name
    ]
    verdicts.append(targets.tail(rows, results.scenarios))
    verdicts.append(targets.startup(*results.startup) if results.startup else targets.startup(None, None))
    verdicts.append(targets.soak(results.soak))
    verdicts.append(targets.growth(results.costs))
    verdicts.append(targets.load_generator(rows))
    return verdicts


if __name__ == "__main__":
    raise SystemExit(main())
