"""A server that follows contract.md differently from the mock passes under the live profile, with
its departures from our spec's own choices listed as warnings (and fails under mock, which judges the spec)."""

from __future__ import annotations

import pytest

from mock_server import Settings, create_app
from tests.fixtures.contract import RunContract

from .conforming import OtherConformingChoices
from .middleware import Planted
from .serving import serve

pytestmark = pytest.mark.e2e


def test_another_conforming_server_passes_under_live_with_warnings(run_contract: RunContract) -> None:
    with serve(Planted(create_app(Settings(access_log=False)), OtherConformingChoices())) as url:
        report = run_contract(url, "--profile", "live", "--max-requests", "300", "--seed", "1")
    assert report.ids("failed") == set(), report.data
    assert "warning" in report.outcomes.values(), report.outcomes
    warned = {
        violation["clause"]
        for check in report.data["checks"]
        if check["outcome"] == "warning"
        for violation in check["violations"]
    }
    assert warned == {"request.negative_prompt_max"}
    assert report.result.ret == pytest.ExitCode.OK


def test_the_same_departures_fail_under_mock(run_contract: RunContract) -> None:
    with serve(Planted(create_app(Settings(access_log=False)), OtherConformingChoices())) as url:
        report = run_contract(url, "--check", "errors_parameters", "--seed", "1")
    assert report.outcomes == {"errors_parameters": "failed"}
    clauses = {violation["clause"] for violation in report.data["checks"][0]["violations"]}
    assert clauses == {"request.negative_prompt_max"}, report.data
