"""Self-conformance: the whole suite against the mock, in this process, with a real moto S3."""

from __future__ import annotations

import pytest

from contract_tests.engine.registry import CHECKS
from mock_server import Settings, create_app
from mock_server.s3.embedded import EmbeddedS3
from tests.fixtures.contract import RunContract
from tests.planted.serving import serve

pytestmark = pytest.mark.e2e


def test_the_mock_passes_every_check(run_contract: RunContract, s3_server: EmbeddedS3) -> None:
    app = create_app(Settings(access_log=False, s3_endpoint_url=s3_server.endpoint_url))
    with serve(app) as url:
        report = run_contract(url, "--s3-endpoint-url", s3_server.endpoint_url, "--s3-bucket", s3_server.bucket)
    failures = {check_id: report.messages(check_id) for check_id in report.ids("failed")}
    assert failures == {}
    assert report.ids("passed") == set(CHECKS), report.outcomes
    assert report.data["errors"] == []
    assert report.result.ret == pytest.ExitCode.OK
    assert 0 < report.data["requests"]["spent"] <= report.data["requests"]["cap"]
    # Every known false positive that fired is listed with its reason, none silently.
    assert all(item["reason"] and item["count"] > 0 for item in report.data["false_positives"])
