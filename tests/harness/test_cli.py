"""``eigen-mock check``: exit status, clear messages, and the reports it writes (over real sockets)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.cli import main
from contract_tests.registry import CHECKS
from mock_server.s3.embedded import EmbeddedS3
from mock_server.s3.storage import S3Storage
from tests.fixtures.servers import free_port, mock_command, server_process


def test_an_unreachable_target_is_a_clear_message_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--base-url", f"http://127.0.0.1:{free_port()}", "--api-key", "k"])
    err = capsys.readouterr().err
    assert status == 2
    assert "cannot reach" in err
    assert "Traceback" not in err


def test_no_api_key_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("EIGEN_API_KEY", raising=False)
    assert main(["--base-url", "http://127.0.0.1:9"]) == 2
    assert "EIGEN_API_KEY" in capsys.readouterr().err


@contextlib.contextmanager
def mock_process(s3_server: EmbeddedS3) -> Iterator[str]:
    """``eigen-mock serve`` as a process of its own, writing to the session's moto S3."""
    port = free_port()
    command = mock_command("--port", str(port), "--s3-endpoint-url", s3_server.endpoint_url, "--log-level", "warning")
    with server_process(command, port=port) as url:
        yield url


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.e2e
def test_check_over_real_sockets_writes_junit_and_markdown(tmp_path: Path, s3_server: EmbeddedS3) -> None:
    """The mock and the CLI as separate processes (as with `make run`), S3 in a real moto server."""
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    with mock_process(s3_server) as url:
        done = run(
            "contract_tests", "--base-url", url, "--api-key", "eigen-mock-key", "--max-requests", "250",
            "--s3-endpoint-url", s3_server.endpoint_url, "--s3-bucket", s3_server.bucket,
            "--junitxml", str(junit), "--report", str(markdown),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL " not in done.stdout
    assert "eigen-mock-key" not in done.stdout + markdown.read_text()
    names = {case.get("name") for case in ET.parse(junit).getroot().iter("testcase")}
    assert names == {f"test_{check_id}" for check_id in CHECKS}
    assert "| `auth_required` | PASS |" in markdown.read_text()


@pytest.mark.e2e
def test_schemathesis_fuzz_finds_no_server_error(s3_server: EmbeddedS3) -> None:
    """Plain Schemathesis (with our rules loaded as custom checks) against the mock: not one 5xx."""
    S3Storage(s3_server.config()).ensure_bucket("eigen-mock")  # the bucket of the spec's S3 example
    checks = "not_a_server_error,server_errors,error_shape,image_format,image_sha256,request_id,api_key_not_echoed"
    spec = Path(__file__).resolve().parents[2] / "openapi" / "eigen.yaml"
    with mock_process(s3_server) as url:
        done = run(
            "schemathesis.cli", "run", str(spec), "--url", url, "-H", "Authorization: Bearer eigen-mock-key",
            "--checks", checks, "--max-examples", "40", "--seed", "1", "--no-color",
            env={"SCHEMATHESIS_HOOKS": "contract_tests.schemathesis_checks"},
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Server error" not in done.stdout
