"""``eigen-mock check``: exit status, clear messages, and the reports it writes (over real sockets)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.cli import main
from contract_tests.engine.registry import CHECKS
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
            "contract_tests",
            "--base-url",
            url,
            "--api-key",
            "eigen-mock-key",
            "--max-requests",
            "250",
            "--s3-endpoint-url",
            s3_server.endpoint_url,
            "--s3-bucket",
            s3_server.bucket,
            "--junitxml",
            str(junit),
            "--report",
            str(markdown),
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL " not in done.stdout
    assert "eigen-mock-key" not in done.stdout + markdown.read_text()
    names = {case.get("name") for case in ET.parse(junit).getroot().iter("testcase")}
    assert names == {f"test_{check_id}" for check_id in CHECKS}
    assert "| `auth_required` | PASS |" in markdown.read_text()


#: Per spec: its own options. Both run every phase but the stateful one, every check of Schemathesis
#: (and, for the public API, the contract's rules as custom checks) but positive_data_acceptance
#: where a schema cannot say the whole rule: on the public operation the model library decides
#: which parameters a model takes (the contract suite repairs its cases for that); on
#: PUT /_mock/models see schemathesis.toml.
SCHEMATHESIS_RUNS = {
    "eigen.yaml": [
        "-H",
        "Authorization: Bearer eigen-mock-key",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "40",
    ],
    "control.yaml": ["--max-examples", "30"],
}


@pytest.mark.e2e
@pytest.mark.parametrize("spec_name", sorted(SCHEMATHESIS_RUNS))
def test_schemathesis_runs_clean_on_both_specs(spec_name: str, s3_server: EmbeddedS3, tmp_path: Path) -> None:
    """Plain Schemathesis against a fresh mock per spec: not one 5xx, not one failed check, both
    media types of the public operation and every control-plane operation exercised."""
    S3Storage(s3_server.config()).ensure_bucket("eigen-mock")  # the bucket of the spec's S3 example
    spec = Path(__file__).resolve().parents[2] / "openapi" / spec_name
    har = tmp_path / "exchanges.har"
    with mock_process(s3_server) as url:
        done = run(
            "schemathesis.cli",
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            str(spec),
            "--url",
            url,
            *SCHEMATHESIS_RUNS[spec_name],
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
            "--report",
            "har",
            "--report-har-path",
            str(har),
            env={"SCHEMATHESIS_HOOKS": "contract_tests.schemathesis_checks"},
        )
    assert done.returncode == 0, done.stdout[-4000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    assert not [entry["request"]["url"] for entry in entries if entry["response"]["status"] >= 500]
    if spec_name == "eigen.yaml":
        sent = {_media_type(entry) for entry in entries if entry["request"]["method"] == "POST"}
        assert {"application/json", "multipart/form-data"} <= sent
    else:
        paths = yaml.safe_load(spec.read_text())["paths"].values()
        operations = len([key for item in paths for key in item if key in HTTP_METHODS])  # not `parameters`
        assert f"Tested: {operations}" in done.stdout, done.stdout[-2000:]


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _media_type(entry: dict[str, Any]) -> str | None:
    found = [header["value"] for header in entry["request"]["headers"] if header["name"].lower() == "content-type"]
    return found[0].split(";")[0].strip() if found else None


@pytest.mark.parametrize(
    ("from_pytest", "status"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (pytest.ExitCode.USAGE_ERROR, 2), (pytest.ExitCode.NO_TESTS_COLLECTED, 3)],
)
def test_the_exit_statuses_are_the_documented_ones(
    monkeypatch: pytest.MonkeyPatch, from_pytest: int, status: int
) -> None:
    """0 passed, 1 failed or incomplete, 2 usage or unreachable, 3 a bug of the suite (the plugin sets 1-3)."""
    monkeypatch.setattr(pytest, "main", lambda args: from_pytest)
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        assert main(["--base-url", f"http://127.0.0.1:{port}", "--api-key", "k"]) == status
