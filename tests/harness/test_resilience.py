"""A run you can trust against a troubled server: resets, a target that goes away, rate limits, exit statuses.

Every test runs the suite in process against the mock on a real socket, with small budgets; the
full-size figures of issue 16 (ten runs at 7% resets, 300 requests under a rate limit, 1 s per
request) are measured by ``python -m benchmarks.contract_runs`` and kept in benchmarks/notes.md.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

import contract_tests.suite.test_errors as errors_module
from contract_tests.engine.registry import CHECKS
from contract_tests.engine.run import ContractRun
from contract_tests.judging.invariants import RULES
from contract_tests.judging.violations import warn
from contract_tests.profile import Profile
from contract_tests.wire import session
from contract_tests.wire.builders import Builders
from contract_tests.wire.client import ContractClient
from contract_tests.wire.target import Target
from mock_server import Settings, create_app
from mock_server.testing.threaded_server import ThreadedServer
from tests.fixtures.contract import RunContract
from tests.fixtures.servers import free_port
from tests.planted.middleware import Bug, Planted
from tests.planted.serving import serve
from tests.planted.wire import Sent

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same five connect attempts, without the seconds of back-off between them."""
    monkeypatch.setattr(session, "CONNECT_BACKOFF", (0.01, 0.01, 0.01, 0.01))


def every_check_listed_once(data: dict[str, object]) -> bool:
    ids = [check["id"] for check in data["checks"]]  # type: ignore[attr-defined]
    return sorted(ids) == sorted(CHECKS)


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_resets_are_failures_of_the_checks_that_met_them_and_the_run_goes_on(
    run_contract: RunContract, concurrency: str
) -> None:
    with serve(create_app(Settings(access_log=False))) as url:
        fault = {"fault": "CONNECTION_RESET_BY_PEER", "probability": 0.15, "seed": 3, "times": None}
        httpx.post(f"{url}/_mock/faults", json=fault, timeout=5).raise_for_status()
        report = run_contract(url, "--max-requests", "60", "--concurrency", concurrency)
    assert every_check_listed_once(report.data)
    assert report.data["complete"] and report.data["stopped"] is None
    met = {c["id"] for c in report.data["checks"] for v in c["violations"] if "broke the connection" in v["message"]}
    assert met, report.outcomes
    assert met <= report.ids("failed")
    assert all(v["curl"] for c in report.data["checks"] if c["id"] in met for v in c["violations"])
    assert report.ids("error") == report.ids("not run") == set()
    assert report.result.ret == 1


class StopsAfter(Bug):
    """The server answers ``count`` requests, then goes away (its listening socket closes)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.server: ThreadedServer | None = None

    def request(self, sent: Sent) -> Sent:
        self.count -= 1
        if self.count == 0 and self.server is not None:
            threading.Thread(target=self.server.stop).start()
        return sent


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_a_target_that_goes_away_leaves_every_later_check_not_run(run_contract: RunContract, concurrency: str) -> None:
    bug = StopsAfter(20)
    with ThreadedServer(Planted(create_app(Settings(access_log=False)), bug)) as server:
        bug.server = server
        report = run_contract(server.url, "--max-requests", "80", "--concurrency", concurrency)
    assert every_check_listed_once(report.data)
    not_run = report.ids("not run")
    assert not_run and all("stopped accepting connections" in report.reason(c) for c in not_run)
    assert not report.data["complete"]
    assert report.result.ret == 1


def test_a_target_unreachable_from_the_start_is_status_2_with_every_check_not_run(run_contract: RunContract) -> None:
    report = run_contract(f"http://127.0.0.1:{free_port()}", "--max-requests", "20")
    assert every_check_listed_once(report.data)
    assert report.ids("passed") == report.ids("failed") == set()
    assert report.data["requests"]["spent"] <= 1
    assert report.result.ret == 2


def test_a_rate_limit_is_waited_out_and_its_retries_reported(run_contract: RunContract) -> None:
    app = create_app(Settings(access_log=False, rate_limit=8, rate_limit_window=1))
    with serve(app) as url:
        report = run_contract(
            url,
            "--max-requests",
            "40",
            "--check",
            "auth_required",
            "--check",
            "errors_models",
            "--check",
            "errors_request_format",
            "--check",
            "request_id",
        )
    assert report.ids("passed") == {"auth_required", "errors_models", "errors_request_format", "request_id"}
    retries = report.data["requests"]["retries"]
    assert retries > 0 and sum(c["retries"] for c in report.data["checks"]) == retries
    assert report.data["requests"]["spent"] <= 40
    assert "retries after 429/503" in report.result.stdout.str()
    assert report.result.ret == 0


def test_a_server_that_keeps_refusing_leaves_its_checks_not_run(run_contract: RunContract) -> None:
    app = create_app(Settings(access_log=False, rate_limit=2, rate_limit_window=600))
    with serve(app) as url:
        report = run_contract(
            url, "--max-requests", "30", "--max-wait", "1", "--check", "errors_sources", "--check", "errors_models"
        )
    assert report.ids("not run") == {"errors_sources", "errors_models"}
    assert all(report.reason(c).startswith("rate limited") for c in report.ids("not run"))
    assert not report.data["complete"]
    assert report.result.ret == 1


def test_a_check_can_see_a_refusal_as_it_came() -> None:
    """A check judging the rate limit itself gets the 429, not a retry (refusals_as_answers)."""
    run = ContractRun.create(Target("http://127.0.0.1:9", "eigen-mock-key"), Profile.load("mock"), ["auth_required"])
    with serve(create_app(Settings(access_log=False, rate_limit=1, rate_limit_window=600))) as url:
        client = ContractClient(run.session, Target(url, "eigen-mock-key"))
        call = Builders(run.profile, run.spec).t2i(run.profile.library.offerings[0])
        assert client.generate(call).received.status == 200
        with run.session.refusals_as_answers():
            refused = client.generate(call)
    assert refused.received.status == 429
    assert refused.received.header("retry-after") is not None
    assert run.budget.retries == 0


def test_a_bug_of_the_suite_is_an_error_with_status_3_in_every_report(
    run_contract: RunContract, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crashes(*_: object) -> None:
        raise KeyError("a bug in the suite")

    monkeypatch.setattr(errors_module, "run_table", crashes)
    monkeypatch.setitem(RULES, "image_sha256", crashes)
    junit = tmp_path / "junit.xml"
    with serve(create_app(Settings(access_log=False))) as url:
        report = run_contract(
            url,
            "--max-requests",
            "30",
            "--check",
            "errors_models",
            "--check",
            "image_sha256",
            "--check",
            "auth_required",
            "--junitxml",
            str(junit),
        )
    assert report.ids("error") == {"errors_models", "image_sha256"}
    assert "KeyError" in report.reason("errors_models") and "suite error" in report.reason("errors_models")
    assert report.outcomes["auth_required"] == "passed"
    statuses = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}.get("eigen_status")
        for case in ET.parse(junit).getroot().iter("testcase")
    }
    assert statuses == {"test_errors_models": "error", "test_image_sha256": "error", "test_auth_required": "passed"}
    assert report.result.ret == 3


def test_a_check_with_only_non_fatal_violations_is_a_warning_and_passes_the_run(
    run_contract: RunContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    def warns(check: object, rows: object) -> None:
        raise warn("errors_models", "a rule only our spec makes was broken")

    monkeypatch.setattr(errors_module, "run_table", warns)
    with serve(create_app(Settings(access_log=False))) as url:
        report = run_contract(url, "--max-requests", "20", "--check", "errors_models", "--check", "auth_required")
    assert report.outcomes == {"errors_models": "warning", "auth_required": "passed"}
    assert report.messages("errors_models") == ["a rule only our spec makes was broken"]
    report.result.stdout.fnmatch_lines(["WARN *errors_models*", "Warnings*", "*a rule only our spec makes*"])
    assert report.result.ret == 0
