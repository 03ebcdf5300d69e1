"""pytest plugin of the contract suite (entry point ``eigen_contract``).

Thin on purpose: options, the marker, the fixtures the suite uses, and the hooks that order the
checks, record each one's outcome and print the report. The work lives in ordinary modules
(``run.py``, ``report.py``). Nothing here touches the network, and nothing heavy is imported,
until suite checks are actually collected, so installing eigen-mock costs other test runs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .registry import CHECKS, MARKER, ordered

if TYPE_CHECKING:
    from .run import CheckRun, ContractRun

_RUN = pytest.StashKey["ContractRun | None"]()
#: (option, its name before the eigen- prefix, argparse attributes). The prefix keeps the suite's
#: options out of other plugins' way: pytest-base-url owns --base-url, pytest-profiling --profile.
_OPTIONS = (
    ("--eigen-base-url", "--base-url", {"help": "URL of the server to check (scheme, host, port)"}),
    ("--eigen-api-key", "--api-key", {"help": "API key of that server (default: $EIGEN_API_KEY); never printed"}),
    ("--eigen-s3-endpoint-url", "--s3-endpoint-url",
     {"help": "S3 endpoint the server writes s3_output_path objects to"}),
    ("--eigen-s3-bucket", "--s3-bucket", {"help": "bucket the server can write and the suite can read"}),
    ("--eigen-profile", "--profile", {"help": "profile file (or shipped profile name: mock, live); default: mock"}),
    ("--eigen-max-requests", "--max-requests",
     {"type": int, "help": "hard cap on requests to the server (default: the profile's)"}),
    ("--eigen-check", "--check",
     {"action": "append", "dest": "eigen_checks", "metavar": "ID", "help": "run only this check (repeatable)"}),
    ("--eigen-report", "--report",
     {"dest": "eigen_report", "metavar": "FILE", "help": "write a conformance report (.md, .html or .json)"}),
    ("--eigen-repro-dir", "--repro-dir", {
        "dest": "eigen_repro_dir",
        "metavar": "DIR",
        "help": "where request bodies of failures are saved for curl (default: next to --eigen-report)",
    }),
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
        raise pytest.UsageError(f"the contract suite needs the contract extra ({', '.join(missing)} not "
                                "installed): pip install 'eigen-mock[contract]'")  # fmt: skip


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
    config.stash[_RUN] = _create_run(config, [contract[item] for item in chosen])


def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    return str(marker.args[0]) if marker is not None else None


def _create_run(config: pytest.Config, check_ids: list[str]) -> ContractRun | None:
    # Another plugin's --base-url (pytest-base-url's) names the server when --eigen-base-url does not.
    base_url = config.getoption("eigen_base_url", None) or config.getoption("base_url", None)
    if not base_url:
        return None
    from .profile import Profile, ProfileError
    from .run import ContractRun
    from .target import Target

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
    repro = config.getoption("eigen_repro_dir", None) or (
        Path(report).parent / "eigen-contract-repro" if report else None
    )
    return ContractRun.create(
        target,
        profile,
        check_ids,
        max_requests=config.getoption("eigen_max_requests", None),
        repro_dir=Path(repro) if repro else None,
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
    from .run import CheckRun

    check_id = _check_id(request.node)
    assert check_id is not None, "eigen_check is for tests marked with @contract_check"
    reason = eigen_run.skip_reason(CHECKS[check_id])
    if reason:
        pytest.skip(reason)
    eigen_run.journal.current_check = check_id
    with eigen_run.budget.within(check_id):
        yield CheckRun(eigen_run, check_id)
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
