"""Test the tester: each deliberately broken server is caught by the check named for its bug."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contract_tests.engine.registry import CHECKS
from contract_tests.judging.clauses import CLAUSES
from mock_server import Settings, create_app
from mock_server.s3.embedded import EmbeddedS3
from tests.fixtures.contract import RunContract

from .catalog import PLANTED, PlantedBug
from .middleware import Planted
from .serving import serve

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("bug", PLANTED, ids=[bug.name for bug in PLANTED])
def test_planted_bug_is_caught(bug: PlantedBug, run_contract: RunContract, s3_server: EmbeddedS3) -> None:
    settings = replace(Settings(access_log=False, s3_endpoint_url=s3_server.endpoint_url), **bug.settings)
    options = ["--check", bug.check]
    if bug.s3:
        options += ["--s3-endpoint-url", s3_server.endpoint_url, "--s3-bucket", s3_server.bucket]
    with serve(Planted(create_app(settings), bug.make(settings))) as url:
        report = run_contract(url, *options)
    assert report.outcomes == {bug.check: "failed"}, report.data
    assert report.result.ret == pytest.ExitCode.TESTS_FAILED
    clauses = {violation.get("clause") for violation in report.data["checks"][0]["violations"]}
    assert bug.clause in clauses, f"{bug.name} was caught, but not as a breach of {bug.clause}: {clauses}"


def test_every_check_has_a_planted_bug() -> None:
    """No check that cannot fail: each is shown failing on at least one broken server."""
    assert {bug.check for bug in PLANTED} == set(CHECKS)


def test_every_clause_has_a_check_and_a_planted_bug_it_catches() -> None:
    """Every statement is judged by a check of the registry and broken by a planted bug that check runs
    against, or says why it is not judged."""
    by_name = {bug.name: bug for bug in PLANTED}
    for clause in CLAUSES:
        if clause.check is None:
            assert clause.not_judged, f"{clause.id} has neither a check nor a reason"
            continue
        assert clause.check in CHECKS, f"{clause.id}: no check {clause.check}"
        bug = by_name.get(clause.planted)
        assert bug is not None, f"{clause.id}: no planted bug {clause.planted!r}"
        assert bug.check == clause.check, f"{clause.id}: {bug.name} is run against {bug.check}, not {clause.check}"


def test_every_planted_bug_breaks_a_clause() -> None:
    assert [bug.name for bug in PLANTED if not bug.clause] == []
    assert len({bug.name for bug in PLANTED}) == len(PLANTED)
