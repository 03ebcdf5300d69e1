"""The public surface, held still (as httpx's ``tests/test_exported_members.py``).

What users import, type on the command line, or get from the pytest plugins is listed here in
full. A change to any list is a change to the public API: make it on purpose, with a CHANGELOG
entry, and update the list in the same commit.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

import pytest

import contract_tests
import mock_server
import mock_server.testing
from mock_server.cli import build_parser

MOCK_SERVER = [
    "AsyncMockTransport",
    "Call",
    "CallList",
    "Fault",
    "FilePart",
    "MockServer",
    "MockTransport",
    "Settings",
    "create_app",
]
TESTING = [
    "AsyncMockTransport",
    "MockServer",
    "MockTransport",
    "ServerStartError",
    "ThreadedServer",
    "async_transport",
    "transport",
]
CONTRACT_TESTS = [
    "Budget",
    "BudgetExhausted",
    "CHECKS",
    "CheckRun",
    "CheckSpec",
    "ContractRun",
    "ContractViolation",
    "ModelLibrary",
    "Offering",
    "Profile",
    "ProfileError",
    "Target",
    "Violation",
    "contract_check",
    "main",
]
#: Paths users write down: in imports, in uvicorn's "module:attribute" form, in ``-p``.
IMPORT_PATHS = [
    "mock_server.app:create_app",
    "mock_server.app:create_app_from_env",
    "mock_server.cli:main",
    "mock_server.testing:MockServer",
    "mock_server.testing:transport",
    "mock_server.testing:async_transport",
    "mock_server.settings:Settings",
    "mock_server.pytest_plugin:eigen_mock",
    "contract_tests.cli:main",
    "contract_tests.plugin:eigen_run",
]

_SERVER_OPTIONS = [
    "--allow-open-control",
    "--body-timeout",
    "--control-token",
    "--graceful-timeout",
    "--header-timeout",
    "--har-bodies",
    "--host",
    "--journal-size",
    "--log-format",
    "--log-level",
    "--max-body-bytes",
    "--no-control",
    "--port",
    "--render-threads",
    "--state-dir",
    "--thumbnails",
    "--workers",
]
_HELP = ["--help", "-h"]
COMMANDS = {
    "serve": sorted(
        [
            *_SERVER_OPTIONS,
            *_HELP,
            "--allow-source-host",
            "--api-key",
            "--latency",
            "--latency-scale",
            "--models",
            "--no-auth",
            "--no-s3",
            "--random-seed",
            "--rate-limit",
            "--rate-limit-window",
            "--replay",
            "--replay-strict",
            "--s3-bucket",
            "--s3-endpoint-url",
            "--source-root",
            "--stubs-dir",
        ]
    ),
    "proxy": sorted([*_SERVER_OPTIONS, *_HELP, "--target"]),
    "record": sorted([*_SERVER_OPTIONS, *_HELP, "--target", "--cassette"]),
    "check": [],  # its options are contract_tests.cli's, below
}
CHECK_OPTIONS = [
    "--api-key",
    "--base-url",
    "--check",
    "--concurrency",
    "--help",
    "--junitxml",
    "--max-requests",
    "--max-wait",
    "--profile",
    "--report",
    "--repro-dir",
    "--s3-bucket",
    "--s3-endpoint-url",
    "--seed",
    "--verbose",
    "-h",
    "-v",
]
PLUGINS = {
    "eigen_mock": {
        "module": "mock_server.pytest_plugin",
        "options": ["--eigen-mock-no-s3"],
        "fixtures": ["eigen_mock", "eigen_mock_session"],
    },
    "eigen_contract": {
        "module": "contract_tests.plugin",
        # The unprefixed names (--base-url, ...) are added later, where no other plugin owns them
        # (tests/harness/test_plugin_options.py).
        "options": [
            "--eigen-api-key",
            "--eigen-base-url",
            "--eigen-check",
            "--eigen-concurrency",
            "--eigen-max-requests",
            "--eigen-max-wait",
            "--eigen-profile",
            "--eigen-report",
            "--eigen-repro-dir",
            "--eigen-s3-bucket",
            "--eigen-s3-endpoint-url",
            "--eigen-seed",
        ],
        "fixtures": ["eigen_check", "eigen_run"],
    },
}


@pytest.mark.parametrize(
    ("module", "expected"),
    [(mock_server, MOCK_SERVER), (mock_server.testing, TESTING), (contract_tests, CONTRACT_TESTS)],
)
def test_each_package_exports_exactly_its_names(module: Any, expected: list[str]) -> None:
    assert sorted(module.__all__) == expected
    for name in expected:
        assert getattr(module, name) is not None, name
    # A class or function defined in this package (not merely imported from elsewhere) but
    # missing from __all__ is a name users find and then lose in a later release.
    stray = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and (value.__module__ == module.__name__ or value.__module__.startswith(module.__name__ + "."))
        and name not in expected
    }
    assert stray == set()


@pytest.mark.parametrize("path", IMPORT_PATHS)
def test_the_import_paths_users_write_down_resolve(path: str) -> None:
    module, _, attribute = path.partition(":")
    assert getattr(importlib.import_module(module), attribute) is not None


def _options(parser: argparse.ArgumentParser) -> list[str]:
    # argparse has no public listing of a parser's options; _actions has been stable since 2.7.
    return sorted(string for action in parser._actions for string in action.option_strings)


def test_the_cli_keeps_its_commands_and_options() -> None:
    parser = build_parser()
    (commands,) = (action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert {name: _options(sub) for name, sub in commands.choices.items()} == COMMANDS


def test_eigen_mock_check_keeps_its_options() -> None:
    from contract_tests.cli import build_parser as check_parser

    assert _options(check_parser()) == CHECK_OPTIONS


def test_the_console_script_and_python_dash_m_run_the_same_cli() -> None:
    (script,) = (ep for ep in entry_points(group="console_scripts") if ep.name == "eigen-mock")
    assert script.value == "mock_server.cli:main"
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert all(command in done.stdout for command in COMMANDS)


class _RecordingParser:
    """Stands in for pytest's parser: records what a plugin's ``pytest_addoption`` adds."""

    def __init__(self) -> None:
        self.options: list[str] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _RecordingParser:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.options.extend(names)

    def addini(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a new ini option is new public surface: list it here")


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_both_pytest_plugins_keep_their_entry_point_options_and_fixtures(name: str) -> None:
    expected = PLUGINS[name]
    (entry,) = (ep for ep in entry_points(group="pytest11") if ep.name == name)
    assert entry.value == expected["module"]
    plugin = entry.load()
    parser = _RecordingParser()
    plugin.pytest_addoption(parser)
    assert sorted(parser.options) == expected["options"]
    fixtures = sorted(
        getattr(value, "name", attribute)
        for attribute, value in vars(plugin).items()
        if type(value).__name__ == "FixtureFunctionDefinition"
    )
    assert fixtures == expected["fixtures"]
