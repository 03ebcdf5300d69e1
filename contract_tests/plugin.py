"""pytest plugin of the contract suite (entry point ``eigen_contract``).

Thin on purpose: options, the marker, the fixtures the suite uses, and the hooks that order the
checks, record each one's outcome and print the report. The work lives in ordinary modules
(``run.py``, ``report.py``). Nothing here touches the network, and nothing heavy is imported,
until suite checks are actually collected, so installing eigen-mock costs other test runs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .registry import CHECKS, MARKER, ordered

if TYPE_CHECKING:
    from .run import CheckRun, ContractRun

_RUN = pytest.StashKey["ContractRun | None"]()
_OPTIONS = (
    ("--base-url", {"help": "URL of the server to check (scheme, host, port)"}),
    ("--api-key", {"help": "API key of that server (default: $EIGEN_API_KEY); never printed"}),
    ("--s3-endpoint-url", {"help": "S3 endpoint the server writes s3_output_path objects to"}),
    ("--s3-bucket", {"help": "bucket the server can write and the suite can read"}),
    ("--profile", {"help": "profile file (or shipped profile name: mock, live); default: mock"}),
    ("--max-requests", {"type": int, "help": "hard cap on requests to the server (default: the profile's)"}),
    (
        "--seed",
        {"type": int, "dest": "eigen_seed", "help": "seed rotating the rows large tables send (default: random)"},
    ),
    (
        "--check",
        {"action": "append", "dest": "eigen_checks", "metavar": "ID", "help": "run only this check (repeatable)"},
    ),
    (
        "--report",
        {"dest": "eigen_report", "metavar": "FILE", "help": "write a conformance report (.md, .html or .json)"},
    ),
    (
        "--repro-dir",
        {
            "dest": "eigen_repro_dir",
            "metavar": "DIR",
            "help": "where request bodies of failures are saved for curl (default: next to --report)",
        },
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eigen-contract", "eigen-mock contract suite")
    for name, attrs in _OPTIONS:
        try:
            group.addoption(name, **attrs)
        except ValueError:
            pass  # another plugin (pytest-base-url) owns --base-url already: share its value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(check_id): a check of the eigen-mock contract suite")
    config.stash[_RUN] = None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    contract = {item: check_id for item in items if (check_id := _check_id(item)) is not None}
    if not contract:
        return
    wanted = set(config.getoption("eigen_checks") or [])
    unknown = wanted - set(CHECKS)
    if unknown:
        raise pytest.UsageError(f"unknown check(s): {', '.join(sorted(unknown))}; see the README for the list")
    chosen = [item for item in contract if not wanted or contract[item] in wanted]
    deselected = [item for item in contract if item not in chosen]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    rank = {check_id: index for index, check_id in enumerate(ordered([contract[item] for item in chosen]))}
    items[:] = [item for item in items if item not in contract] + sorted(chosen, key=lambda i: rank[contract[i]])
    config.stash[_RUN] = _create_run(config, [contract[item] for item in chosen])


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    return str(marker.args[0]) if marker is not None else None


def _create_run(config: pytest.Config, check_ids: list[str]) -> ContractRun | None:
    base_url = config.getoption("base_url", None)
    if not base_url:
        return None
    from .profile import Profile, ProfileError
    from .run import ContractRun
    from .target import Target

    api_key = config.getoption("api_key", None) or os.environ.get("EIGEN_API_KEY", "")
    if not api_key:
        raise pytest.UsageError("no API key for --base-url: pass --api-key or set EIGEN_API_KEY")
    try:
        profile = Profile.load(config.getoption("profile", None))
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    target = Target(
        str(base_url),
        api_key,
        config.getoption("s3_endpoint_url", None),
        config.getoption("s3_bucket", None),
        profile.request_timeout,
    )
    report = config.getoption("eigen_report", None)
    repro = config.getoption("eigen_repro_dir", None) or (
        Path(report).parent / "eigen-contract-repro" if report else None
    )
    return ContractRun.create(
        target,
        profile,
        check_ids,
        max_requests=config.getoption("max_requests", None),
        repro_dir=Path(repro) if repro else None,
        seed=config.getoption("eigen_seed", None),
    )


@pytest.fixture(scope="session")
def eigen_run(pytestconfig: pytest.Config) -> ContractRun:
    """The run the suite's checks share; skips them when no --base-url was given."""
    run = pytestconfig.stash.get(_RUN, None)
    if run is None:
        pytest.skip("no server to check: pass --base-url (and --api-key) to run the contract suite")
    return run


@pytest.fixture
def eigen_check(request: pytest.FixtureRequest, eigen_run: ContractRun) -> Iterator[CheckRun]:
    """The current check: its client, its share of the budget, its Hypothesis settings."""
    from .run import CheckRun

    check_id = _check_id(request.node)
    assert check_id is not None, "eigen_check is for tests marked with @contract_check"
    reason = eigen_run.skip_reason(CHECKS[check_id])
    if reason:
        pytest.skip(reason)
    from .clauses import clauses_of

    eigen_run.journal.current_check = check_id
    own = clauses_of(check_id)
    eigen_run.budget.clause = own[0].id if own else None  # a check's requests judge its first clause unless told
    with eigen_run.budget.within(check_id):
        yield CheckRun(eigen_run, check_id)
    eigen_run.budget.clause = None
    eigen_run.journal.current_check = "(between checks)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run, check_id = item.config.stash.get(_RUN, None), _check_id(item)
    if run is None or check_id is None:
        return report
    from .recording import record_outcome

    record_outcome(run, check_id, item, call, report)
    result = run.results.checks.get(check_id)
    if report.when == "call" and result is not None and result.outcome == "warning":
        report.outcome = "passed"  # warnings do not fail the run; the reports list them
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.results.checks:
        return
    from .report import terminal_lines, write_report

    terminalreporter.section("eigen-mock contract")
    for line in terminal_lines(run):
        terminalreporter.write_line(line)
    report = config.getoption("eigen_report", None)
    if report:
        write_report(run, Path(report))
        terminalreporter.write_line(f"report written to {report}")


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        run.close()
