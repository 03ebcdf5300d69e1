"""The pytest plugin from the outside: a user's own pytest run, options, skips and reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.engine.registry import CHECKS
from mock_server import Settings, create_app
from tests.planted.serving import serve

pytestmark = pytest.mark.e2e
PLUGIN = ("--disable-plugin-autoload", "-p", "contract_tests.plugin")


def suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The shipped suite by package name (as from a user's repository), with the plugin."""
    return pytester.runpytest_inprocess(*PLUGIN, "--pyargs", "contract_tests.suite", *args)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve(create_app(Settings(access_log=False))) as url:
        yield url


def test_the_suite_runs_next_to_a_users_own_tests(pytester: pytest.Pytester, mock_url: str) -> None:
    """`pytest --pyargs contract_tests.suite` in a user's repository, with the user's tests beside it
    (and the options' old names, free here: no other plugin owns them)."""
    pytester.makepyfile(test_mine="def test_my_client():\n    assert 1 + 1 == 2\n")
    key, checks = ("--api-key", "eigen-mock-key"), ("--check", "auth_required", "--check", "errors_models")
    result = suite(pytester, "test_mine.py", "--base-url", mock_url, *key, *checks)
    result.assert_outcomes(passed=3, deselected=len(CHECKS) - 2)
    result.stdout.fnmatch_lines(["*eigen-mock contract*", "PASS *auth_required*", "PASS *errors_models*"])


def test_without_a_base_url_the_checks_are_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    result = suite(pytester, "-rs")
    result.assert_outcomes(skipped=len(CHECKS))
    result.stdout.fnmatch_lines(["*no server to check: pass --eigen-base-url*"])


def test_an_unknown_check_is_a_usage_error(pytester: pytest.Pytester, mock_url: str) -> None:
    result = suite(pytester, "--eigen-base-url", mock_url, "--eigen-check", "no_such_check")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown check(s): no_such_check*"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--eigen-api-key", "k", "--eigen-profile", "no-such-profile.yaml"), "*no profile file no-such-profile.yaml*"),
        ((), "*no API key for --eigen-base-url*"),
    ],
)
def test_setup_mistakes_are_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], message: str
) -> None:
    monkeypatch.delenv("EIGEN_API_KEY", raising=False)
    result = suite(pytester, "--eigen-base-url", "http://127.0.0.1:9", *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_profile_turns_checks_off_with_its_reason(pytester: pytest.Pytester, mock_url: str, tmp_path: Path) -> None:
    profile = tmp_path / "mine.yaml"
    profile.write_text(
        "name: mine\nmodel_library: bundled:fixtures/models.yaml\nmodels: [eigen-image]\n"
        "skip:\n  determinism: our renderer is not deterministic yet\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    checks = ("--eigen-check", "determinism", "--eigen-check", "errors_models")
    suite(
        pytester,
        "--eigen-base-url",
        mock_url,
        "--eigen-api-key",
        "eigen-mock-key",
        "--eigen-profile",
        str(profile),
        *checks,
        "--eigen-report",
        str(report),
    )
    outcome = {item["id"]: item for item in json.loads(report.read_text())["checks"]}
    assert outcome["determinism"]["outcome"] == "skipped"
    assert outcome["determinism"]["reason"] == "turned off by profile mine: our renderer is not deterministic yet"
    assert outcome["errors_models"]["outcome"] == "passed"


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(
        ["*eigen-mock contract suite*", "*--eigen-base-url*", "*--eigen-profile*", "*--eigen-max-requests*"]
    )
