"""End to end over real sockets: uvicorn in a thread, separate processes, several workers, the wheel."""

from __future__ import annotations

import base64
import logging
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from mock_server import MockServer
from tests.fixtures.servers import free_port, mock_command, server_process
from tests.fixtures.wheel import install_wheel
from tests.support import IMAGES, assert_error, assert_schema, image_of, sha256

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": "Bearer eigen-mock-key"}
ROOT = Path(__file__).resolve().parents[2]
REQUESTS = [
    {"model": "eigen-image", "prompt": "a fox", "seed": 1},
    {"model": "wan-image", "prompt": "snow", "seed": 99, "width": 700, "height": 512, "output_format": "jpg"},
    {
        "model": "flux-1-kontext",
        "prompt": "edit",
        "seed": 5,
        "image_path": "data:image/png;base64," + base64.b64encode((IMAGES / "square.png").read_bytes()).decode(),
    },
]


def test_socket_json_multipart_and_errors(mock_socket: MockServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eigen_mock.access")
    url = f"{mock_socket.url}/api/v1/generate"
    response = httpx.post(url, json=REQUESTS[0], headers=AUTH, timeout=10)
    assert_schema(response.json(), "GenerateResponse")
    with (IMAGES / "source.jpg").open("rb") as source:
        edit = httpx.post(
            url, data={"model": "eigen-image", "prompt": "p"}, files={"image_file": source}, headers=AUTH, timeout=10
        )
    assert image_of(edit)[1].size == (640, 480)
    assert_error(
        httpx.post(url, json={}, headers={"Authorization": "Bearer sk-secret-9"}, timeout=10), 401, "invalid_api_key"
    )
    lines = _access_lines(caplog, expected=3)
    assert len(lines) == 3
    assert lines[0].startswith("POST /api/v1/generate 200 ") and response.headers["x-request-id"] in lines[0]
    assert "ms " in lines[0]
    assert not any("sk-secret-9" in line or "eigen-mock-key" in line for line in lines)


def _access_lines(caplog: pytest.LogCaptureFixture, expected: int, timeout: float = 5.0) -> list[str]:
    """The access log is written after the response is sent, so the last line may lag the client."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [record.getMessage() for record in caplog.records if record.name == "eigen_mock.access"]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def _fingerprints(url: str) -> list[str]:
    with httpx.Client(base_url=url, headers=AUTH, timeout=20) as client:
        return [client.post("/api/v1/generate", json=body).json()["image_sha256"] for body in REQUESTS]


def test_two_server_processes_give_byte_identical_images() -> None:
    ports = free_port(), free_port()
    with server_process(mock_command("--port", str(ports[0]), "--no-s3"), port=ports[0]) as first:
        first_run = _fingerprints(first)
    with server_process(mock_command("--port", str(ports[1]), "--no-s3"), port=ports[1]) as second:
        assert _fingerprints(second) == first_run


def test_two_workers_with_embedded_s3_answer_consistently() -> None:
    port = free_port()
    with server_process(mock_command("--port", str(port), "--workers", "2"), port=port) as url:
        with httpx.Client(base_url=url, headers=AUTH, timeout=20) as client:
            bodies = [
                client.post(
                    "/api/v1/generate", json={**REQUESTS[0], "s3_output_path": f"s3://eigen-mock/run/{i}.png"}
                ).json()
                for i in range(12)
            ]
            assert {body["image_sha256"] for body in bodies} == {bodies[0]["image_sha256"]}
            assert [body["s3_output_path"] for body in bodies] == [f"s3://eigen-mock/run/{i}.png" for i in range(12)]
            models = {client.get("/_mock/models").text for _ in range(8)}
            assert len(models) == 1


def test_installed_wheel_serves_from_another_directory(tmp_path: Path) -> None:
    python = install_wheel(tmp_path)
    venv = python.parent.parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import mock_server; print(mock_server.__file__)"],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert where.startswith(str(venv)), where
    port = free_port()
    command = [str(venv / "bin" / "eigen-mock"), "serve", "--port", str(port), "--no-s3"]
    with server_process(command, port=port, cwd=elsewhere) as url:
        spec = httpx.get(f"{url}/_mock/openapi.yaml", timeout=10)
        assert spec.status_code == 200 and b"operationId: generate" in spec.content
        response = httpx.post(f"{url}/api/v1/generate", json=REQUESTS[1], headers=AUTH, timeout=20)
        data, image = image_of(response)
        assert image.size == (700, 512) and response.json()["image_sha256"] == sha256(data)
