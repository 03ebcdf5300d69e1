"""The Python API: MockServer (a real socket, fast to start) and the in-process httpx transports."""

from __future__ import annotations

import anyio
import boto3
import httpx
import pytest

from mock_server import AsyncMockTransport, MockServer, MockTransport, Settings
from mock_server.testing import async_transport, transport
from tests.fixtures.client import T2I

URL = "/api/v1/generate"


def test_mock_server_answers_once_started_and_stops_cleanly() -> None:
    # How fast it starts is the benchmark's business (docs/benchmarks.md), not a test's.
    with MockServer() as mock:
        url = mock.url
        assert httpx.get(f"{url}/_mock/health").status_code == 200
        assert url.startswith("http://127.0.0.1:") and mock.api_key == "eigen-mock-key"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_mock/health", timeout=2)


def test_requests_fail_and_reset_work_together(live_mock: MockServer, mock_api: httpx.Client) -> None:
    assert not live_mock.requests.called
    fault_id = live_mock.fail(502, times=2)
    assert [mock_api.post(URL, json=T2I).status_code for _ in range(3)] == [502, 502, 200]
    assert fault_id == "f1" and live_mock.faults == []
    assert live_mock.requests.call_count == 3 and live_mock.requests.last.status == 200
    live_mock.fail(500, times=None)
    live_mock.reset()
    assert live_mock.requests.call_count == 0 and live_mock.faults == []
    assert mock_api.post(URL, json=T2I).status_code == 200


def test_an_s3_endpoint_comes_with_the_server() -> None:
    with MockServer(s3=True) as mock:
        assert mock.s3_endpoint_url and mock.bucket
        body = {**T2I, "s3_output_path": f"s3://{mock.bucket}/client/fox.png"}
        assert httpx.post(f"{mock.url}{URL}", json=body, headers=mock.headers, timeout=30).status_code == 200
        s3 = boto3.client(
            "s3",
            endpoint_url=mock.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        stored = s3.get_object(Bucket=mock.bucket, Key="client/fox.png")
        assert stored["ContentType"] == "image/png"


def test_the_s3_bucket_exists_when_start_returns() -> None:
    with MockServer(s3=True, bucket="own-bucket-for-this-test") as mock:
        s3 = boto3.client(
            "s3",
            endpoint_url=mock.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.put_object(Bucket="own-bucket-for-this-test", Key="mine.txt", Body=b"mine")
        assert s3.get_object(Bucket="own-bucket-for-this-test", Key="mine.txt")["Body"].read() == b"mine"


def test_the_sync_transport_needs_no_socket() -> None:
    mock = transport(Settings(access_log=False, api_keys=("k",)))
    assert isinstance(mock, MockTransport)
    with httpx.Client(transport=mock, base_url="http://eigen.test", headers={"Authorization": "Bearer k"}) as client:
        mock.fail(429)
        assert client.post(URL, json=T2I).status_code == 429
        response = client.post(URL, json={**T2I, "binary_response": True})
        assert response.headers["content-type"] == "image/png" and response.content.startswith(b"\x89PNG")
    assert [call.status for call in mock.requests] == [429, 200]


def test_the_async_transport_serves_concurrent_requests_while_one_is_delayed() -> None:
    mock = async_transport()
    assert isinstance(mock, AsyncMockTransport)
    mock.fail(delay=0.5, headers={"X-Slow": "1"})
    finished: list[str] = []

    async def send(client: httpx.AsyncClient, name: str, headers: dict[str, str]) -> None:
        await client.post(URL, json=T2I, headers=headers)
        finished.append(name)

    async def main() -> None:
        auth = {"Authorization": "Bearer eigen-mock-key"}
        async with httpx.AsyncClient(transport=mock, base_url="http://eigen.test", headers=auth) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(send, client, "slow", {"X-Slow": "1"})
                await anyio.sleep(0.05)
                group.start_soon(send, client, "fast", {})

    anyio.run(main)
    assert finished == ["fast", "slow"]


def test_the_control_api_replaces_models_and_switches_the_rate_limit(
    live_mock: MockServer, mock_api: httpx.Client
) -> None:
    library = live_mock.models.to_json()
    library["models"] = [model for model in library["models"] if model["id"] != "wan-image"]
    live_mock.replace_models(library)
    assert mock_api.post(URL, json={**T2I, "model": "wan-image"}).json()["error"]["code"] == "unknown_model"
    live_mock.rate_limit(1)
    assert [mock_api.post(URL, json=T2I).status_code for _ in range(2)] == [200, 429]
