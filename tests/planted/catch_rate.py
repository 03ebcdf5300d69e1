"""How many planted bugs a whole ``eigen-mock check`` run catches at a given budget.

Not a test (it runs the full suite once per bug and budget, minutes in all): run it by hand, e.g.
``python -m tests.planted.catch_rate 40 100 300``, and keep the figures in benchmarks/notes.md.
A bug counts as caught when any check fails. Bugs whose clause one request can show (a cost of 0
or 1 in ``contract_tests/judging/clauses.py``) are listed apart: the goal is all of those caught at 100 requests.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

from contract_tests.cli import main as check
from contract_tests.judging.clauses import BY_ID
from mock_server import Settings, create_app
from mock_server.s3.embedded import EmbeddedS3

from .catalog import PLANTED, PlantedBug
from .middleware import Planted
from .serving import serve

SEED = 1


def caught(bug: PlantedBug, cap: int, s3: EmbeddedS3, scratch: Path) -> tuple[bool, list[str]]:
    settings = replace(Settings(access_log=False, s3_endpoint_url=s3.endpoint_url), **bug.settings)
    report = scratch / f"{bug.name}-{cap}.json"
    with serve(Planted(create_app(settings), bug.make(settings))) as url:
        argv = ["--base-url", url, "--api-key", "eigen-mock-key", "--max-requests", str(cap), "--seed", str(SEED)]
        argv += ["--s3-endpoint-url", s3.endpoint_url, "--s3-bucket", s3.bucket, "--report", str(report)]
        with contextlib.redirect_stdout(io.StringIO()):
            check(argv)
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = [c["id"] for c in data["checks"] if c["outcome"] == "failed"]
    return bool(failed), failed


def one_request(bug: PlantedBug) -> bool:
    clause = BY_ID.get(bug.clause)
    return clause is not None and clause.cost <= 1


def main(caps: list[int]) -> None:
    with EmbeddedS3(bucket=f"catch-{uuid.uuid4().hex[:12]}") as s3, tempfile.TemporaryDirectory() as scratch:
        for cap in caps:
            missed: list[str] = []
            for bug in PLANTED:
                found, _ = caught(bug, cap, s3, Path(scratch))
                if not found:
                    missed.append(bug.name + (" (one request)" if one_request(bug) else ""))
            singles = sum(1 for bug in PLANTED if one_request(bug))
            single_missed = sum(1 for name in missed if name.endswith("(one request)"))
            sys.stdout.write(
                f"--max-requests {cap}: caught {len(PLANTED) - len(missed)}/{len(PLANTED)}; "
                f"one-request bugs {singles - single_missed}/{singles}; missed: {', '.join(missed) or 'none'}\n"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [40, 100, 300])
