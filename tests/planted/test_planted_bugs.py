"""Test the tester: each deliberately broken server is caught by the check named for its bug."""

from __future__ import annotations

import pytest

from contract_tests.registry import CHECKS
from mock_server import Settings, create_app
from mock_server.s3.embedded import EmbeddedS3
from tests.fixtures.contract import RunContract

from .catalog import PLANTED, PlantedBug
from .middleware import Planted
from .serving import serve

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("bug", PLANTED, ids=[bug.name for bug in PLANTED])
def test_planted_bug_is_caught(bug: PlantedBug, run_contract: RunContract, s3_server: EmbeddedS3) -> None:
    settings = Settings(access_log=False, s3_endpoint_url=s3_server.endpoint_url)
    options = ["--check", bug.check]
    if bug.s3:
        options += ["--s3-endpoint-url", s3_server.endpoint_url, "--s3-bucket", s3_server.bucket]
    with serve(Planted(create_app(settings), bug.make(settings))) as url:
        report = run_contract(url, *options)
    assert report.outcomes == {bug.check: "failed"}, report.data
    assert report.result.ret == pytest.ExitCode.TESTS_FAILED


def test_every_check_has_a_planted_bug() -> None:
    """No check that cannot fail: each is shown failing on at least one broken server."""
    assert {bug.check for bug in PLANTED} == set(CHECKS)
