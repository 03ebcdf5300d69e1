"""pytest plugin of the contract suite (entry point ``eigen_contract``).

Thin on purpose: options, the marker, the fixtures the suite uses, and the hooks that order the
checks, record each one's outcome and print the report. The work lives in ordinary modules
(``engine/run.py``, ``engine/report.py``). Nothing here touches the network, and nothing heavy is imported,
until suite checks are actually collected, so installing eigen-mock costs other test runs nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .engine.registry import CHECKS, MARKER, ordered

if TYPE_CHECKING:
    from .engine.run import CheckRun, ContractRun
    from .engine.side_by_side import SideBySide  # noqa: F401 - named in the stash key's string annotation

_RUN = pytest.StashKey["ContractRun | None"]()
_SIDE_BY_SIDE = pytest.StashKey["SideBySide"]()
#: Seconds the whole run may spend waiting out Retry-After answers.
DEFAULT_MAX_WAIT = 300.0
#: (option, its name before the eigen- prefix, argparse attributes). The prefix keeps the suite's
#: options out of other plugins' way: pytest-base-url owns --base-url, pytest-profiling --profile.
_OPTIONS = (
    ("--eigen-base-url", "--base-url", {"help": "URL of the server to check (scheme, host, port)"}),
    ("--eigen-api-key", "--api-key", {"help": "API key of that server (default: $EIGEN_API_KEY); never printed"}),
    (
        "--eigen-s3-endpoint-url",
        "--s3-endpoint-url",
        {"help": "S3 endpoint the server writes s3_output_path objects to"},
    ),
    ("--eigen-s3-bucket", "--s3-bucket", {"help": "bucket the server can write and the suite can read"}),
    ("--eigen-profile", "--profile", {"help": "profile file (or shipped profile name: mock, live); default: mock"}),
    (
        "--eigen-max-requests",
        "--max-requests",
        {"type": int, "help": "hard cap on requests to the server (default: the profile's)"},
    ),
    (
        "--eigen-seed",
        "--seed",
        {"dest": "eigen_seed", "type": int, "help": "seed of the drawn requests (default 0; in the report)"},
    ),
    (
        "--eigen-max-wait",
        "--max-wait",
        {
            "dest": "eigen_max_wait",
            "type": float,
            "metavar": "SECONDS",
            "help": "longest total wait for 429/503 Retry-After answers in the run (default 300)",
        },
    ),
    (
        "--eigen-concurrency",
        "--concurrency",
        {"dest": "eigen_concurrency", "type": int, "metavar": "N", "help": "requests in flight at once (default 1)"},
    ),
    (
        "--eigen-check",
        "--check",
        {"action": "append", "dest": "eigen_checks", "metavar": "ID", "help": "run only this check (repeatable)"},
    ),
    (
        "--eigen-report",
        "--report",
        {"dest": "eigen_report", "metavar": "FILE", "help": "write a conformance report (.md, .html or .json)"},
    ),
    (
        "--eigen-repro-dir",
        "--repro-dir",
        {
            "dest": "eigen_repro_dir",
            "metavar": "DIR",
            "help": "where request bodies of failures are saved for curl (default: next to --eigen-report)",
        },
    ),
)
_GROUP = "eigen-contract"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(_GROUP, "eigen-mock contract suite")
    for name, _, attrs in _OPTIONS:
        group.addoption(name, **attrs)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Generator[None, None, None]:
    """The options' old names, for those no other plugin or root conftest has taken.

    Added here, after every installed plugin and the initial conftests registered their options
    (whatever order they loaded in), because a name registered twice stops every pytest run."""
    yield
    taken = {flag for option in _registered(parser) for flag in option.names()}
    group = parser.getgroup(_GROUP)
    for name, old, attrs in _OPTIONS:
        if old not in taken:
            group.addoption(old, **{**attrs, "dest": _dest(name, attrs), "help": f"the same as {name}"})


def _registered(parser: pytest.Parser) -> list[Any]:
    groups = [getattr(parser, "_anonymous", None), *getattr(parser, "_groups", [])]
    return [option for group in groups if group is not None for option in group.options]


def _dest(name: str, attrs: dict[str, Any]) -> str:
    return str(attrs.get("dest") or name.lstrip("-").replace("-", "_"))


#: What the contract extra brings that the checks import (pytest is here already).
_EXTRA = ("schemathesis", "hypothesis", "requests", "boto3")
_SUITE = Path(__file__).resolve().parent / "suite"


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """Asked for the suite without the contract extra: one line, not an ImportError per module."""
    if not any(_names_the_suite(arg, session.config) for arg in session.config.args):
        return
    missing = [name for name in _EXTRA if find_spec(name) is None]
    if missing:
        raise pytest.UsageError(
            f"the contract suite needs the contract extra ({', '.join(missing)} not "
            "installed): pip install 'eigen-mock[contract]'"
        )


def _names_the_suite(arg: str, config: pytest.Config) -> bool:
    target = arg.split("::")[0]
    if config.getoption("pyargs", False) and target.startswith("contract_tests.suite"):
        return True
    path = (config.invocation_params.dir / target).resolve()
    return path == _SUITE or _SUITE in path.parents


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
    run = config.stash[_RUN] = _create_run(config, [contract[item] for item in chosen])
    if run is not None and run.pool.size > 1:
        from .engine.side_by_side import SideBySide

        config.stash[_SIDE_BY_SIDE] = SideBySide(run, {item: contract[item] for item in chosen})


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    return str(marker.args[0]) if marker is not None else None


def _create_run(config: pytest.Config, check_ids: list[str]) -> ContractRun | None:
    # Another plugin's --base-url (pytest-base-url's) names the server when --eigen-base-url does not.
    base_url = config.getoption("eigen_base_url", None) or config.getoption("base_url", None)
    if not base_url:
        return None
    from .engine.run import ContractRun
    from .profile import Profile, ProfileError
    from .wire.target import Target

    api_key = config.getoption("eigen_api_key", None) or os.environ.get("EIGEN_API_KEY", "")
    if not api_key:
        raise pytest.UsageError("no API key for --eigen-base-url: pass --eigen-api-key or set EIGEN_API_KEY")
    try:
        profile = Profile.load(config.getoption("eigen_profile", None))
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    target = Target(
        str(base_url),
        api_key,
        config.getoption("eigen_s3_endpoint_url", None),
        config.getoption("eigen_s3_bucket", None),
        profile.request_timeout,
    )
    report = config.getoption("eigen_report", None)
    # Bodies of failing requests always go to a file (a curl command must survive copy-paste):
    # next to the report, or in the temporary directory when there is none.
    repro = config.getoption("eigen_repro_dir", None) or (
        Path(report).parent / "eigen-contract-repro" if report else Path(tempfile.gettempdir()) / "eigen-contract-repro"
    )
    concurrency = config.getoption("eigen_concurrency", None) or 1
    max_wait = config.getoption("eigen_max_wait", None)
    if concurrency < 1 or (max_wait is not None and max_wait < 0):
        raise pytest.UsageError("--concurrency must be at least 1 and --max-wait at least 0")
    return ContractRun.create(
        target,
        profile,
        check_ids,
        max_requests=config.getoption("eigen_max_requests", None),
        repro_dir=Path(repro) if repro else None,
        seed=config.getoption("eigen_seed", None) or 0,
        max_wait=DEFAULT_MAX_WAIT if max_wait is None else max_wait,
        concurrency=concurrency,
    )


@pytest.fixture(scope="session")
def eigen_run(pytestconfig: pytest.Config) -> ContractRun:
    """The run the suite's checks share; skips them when no --base-url was given."""
    run = pytestconfig.stash.get(_RUN, None)
    if run is None:
        pytest.skip("no server to check: pass --eigen-base-url (and --eigen-api-key) to run the contract suite")
    return run


@pytest.fixture
def eigen_check(request: pytest.FixtureRequest, eigen_run: ContractRun) -> Iterator[CheckRun]:
    """The current check: its client, its share of the budget, its Hypothesis settings."""
    from .engine.run import CheckRun
    from .engine.side_by_side import entered

    check_id = _check_id(request.node)
    assert check_id is not None, "eigen_check is for tests marked with @contract_check"
    side_by_side = request.config.stash.get(_SIDE_BY_SIDE, None)
    if side_by_side is not None:
        side_by_side.start_phase_of(request.node)
        if side_by_side.started(request.node):
            yield CheckRun(eigen_run, check_id)  # the check runs in its own thread (pytest_pyfunc_call)
            return
    with entered(eigen_run, check_id) as check:
        yield check


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A check started side by side with its phase: wait for its thread and report what it came to."""
    side_by_side = pyfuncitem.config.stash.get(_SIDE_BY_SIDE, None)
    if side_by_side is None or not side_by_side.started(pyfuncitem):
        return None
    error = side_by_side.outcome(pyfuncitem)
    if error is not None:
        raise error
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    if item.config.stash.get(_SIDE_BY_SIDE, None) is None:
        report = yield
    else:
        from .engine.run import DRAWING

        # pytest reads the failing test's source with ast.parse to show it, while checks still run in
        # their threads, where Hypothesis uses ast.parse too: CPython 3.11 cannot do both at once.
        with DRAWING:
            report = yield
    run, check_id = item.config.stash.get(_RUN, None), _check_id(item)
    if run is None or check_id is None:
        return report
    from .engine.outcomes import record_outcome

    record_outcome(run, check_id, item, call, report)
    result = run.results.checks.get(check_id)
    if report.when == "call" and result is not None and result.outcome == "warning":
        report.outcome = "passed"  # warnings do not fail the run; the reports list them
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.results.checks:
        return
    from .engine.report import terminal_lines, write_report

    terminalreporter.section("eigen-mock contract")
    for line in terminal_lines(run):
        terminalreporter.write_line(line)
    report = config.getoption("eigen_report", None)
    if report:
        write_report(run, Path(report))
        terminalreporter.write_line(f"report written to {report}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run's exit status (see ``engine/results.py``): 1 for an incomplete run, 3 for a bug of the suite."""
    run = session.config.stash.get(_RUN, None)
    if run is None or not run.results.checks or exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    session.exitstatus = max(int(exitstatus), run.results.exit_status())


def pytest_unconfigure(config: pytest.Config) -> None:
    side_by_side = config.stash.get(_SIDE_BY_SIDE, None)
    if side_by_side is not None:
        side_by_side.close()
    run = config.stash.get(_RUN, None)
    if run is not None:
        run.close()
