"""``eigen-mock check``: run the contract suite against a server, from one command.

Argument parsing, a reachability check that answers in plain words, and ``pytest.main`` on the
shipped suite with the plugin. Exit status (``engine/results.py``): 0 when every check that ran passed
(skips and warnings are fine); 1 when a check failed or the run is incomplete (checks not run);
2 for a usage error or a target that cannot be reached at the start; 3 for a bug of the suite.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest

from .engine.results import EXIT_FAILED, EXIT_OK, EXIT_SUITE_ERROR, EXIT_USAGE
from .resources import PACKAGE_DIR, SUITE_DIR

#: pytest's exit codes as the CLI's: usage errors are 2, "no tests" or an internal error a bug of the suite.
_FROM_PYTEST: dict[int, int] = {
    pytest.ExitCode.OK: EXIT_OK,
    pytest.ExitCode.TESTS_FAILED: EXIT_FAILED,
    pytest.ExitCode.INTERRUPTED: EXIT_USAGE,
    pytest.ExitCode.INTERNAL_ERROR: EXIT_SUITE_ERROR,
    pytest.ExitCode.USAGE_ERROR: EXIT_USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: EXIT_SUITE_ERROR,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eigen-mock check",
        description="Check a server against the POST /api/v1/generate contract, behaviour by behaviour.",
    )
    parser.add_argument("--base-url", required=True, help="URL of the server, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("EIGEN_API_KEY"),
        help="a valid API key (default: $EIGEN_API_KEY); never printed",
    )
    parser.add_argument("--s3-endpoint-url", help="S3 endpoint the server writes s3_output_path objects to")
    parser.add_argument("--s3-bucket", help="bucket the server can write and this suite can read")
    parser.add_argument("--profile", help="profile file, or a shipped profile name: mock (default), live")
    parser.add_argument("--max-requests", type=int, help="hard cap on requests to the server (default: the profile's)")
    parser.add_argument(
        "--seed",
        type=int,
        help="seed of every drawn request and of the table rows sent (default 0; a different seed per CI run "
        "rotates the rows); printed in the report",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        metavar="SECONDS",
        help="longest total time the run waits out 429/503 Retry-After answers (default 300)",
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="requests in flight at once (default 1)")
    parser.add_argument("--check", action="append", metavar="ID", help="run only this check (repeatable)")
    parser.add_argument("--junitxml", metavar="FILE", help="write JUnit XML for CI")
    parser.add_argument("--report", metavar="FILE", help="write a conformance report (.md or .json)")
    parser.add_argument("--repro-dir", metavar="DIR", help="where bodies of failing requests are saved for curl")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output too")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if not args.api_key:
        print("eigen-mock check: no API key: pass --api-key or set EIGEN_API_KEY", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    problem = unreachable(args.base_url)
    if problem:
        print(f"eigen-mock check: cannot reach {args.base_url}: {problem}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    # Hypothesis keeps caches in ./.hypothesis; a check run should leave nothing in the user's directory.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "eigen-contract"))
    code = pytest.main(suite_arguments(args))
    return _FROM_PYTEST.get(int(code), int(code))  # the plugin's own statuses (engine/results.py) are plain ints


def suite_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line that runs the shipped suite with the plugin, isolated from the cwd's config."""
    argv = [
        str(SUITE_DIR),
        "-c",
        str(PACKAGE_DIR / "contract.ini"),
        "--rootdir",
        str(PACKAGE_DIR.parent),
        # Only the contract plugin: installed plugins would cost seconds to import and could reorder
        # (randomly) or distribute (xdist) the checks, which the budget's priorities rely on.
        "--disable-plugin-autoload",
        "-p",
        "contract_tests.plugin",
    ]
    argv += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header", "-rN", "-p", "no:warnings"]
    options = {
        "--eigen-base-url": args.base_url,
        "--eigen-api-key": args.api_key,
        "--eigen-s3-endpoint-url": args.s3_endpoint_url,
        "--eigen-s3-bucket": args.s3_bucket,
        "--eigen-profile": args.profile,
        "--eigen-max-requests": args.max_requests,
        "--eigen-seed": args.seed,
        "--eigen-max-wait": args.max_wait,
        "--eigen-concurrency": args.concurrency,
        "--junitxml": args.junitxml,
        "--eigen-report": args.report,
        "--eigen-repro-dir": args.repro_dir,
    }
    for flag, value in options.items():
        if value is not None:
            argv += [flag, str(value)]
    for check_id in args.check or []:
        argv += ["--eigen-check", check_id]
    return argv


def unreachable(base_url: str, timeout: float = 5.0) -> str | None:
    """Why a TCP connection to ``base_url`` fails, or ``None`` (no HTTP request is sent: it would cost budget)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the base URL must look like http://host:port"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
