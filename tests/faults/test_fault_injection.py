"""Faults as a client sees them: error answers, broken connections, delays and slow bodies."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from mock_server import MockServer
from mock_server.testing import transport
from tests.fixtures.client import T2I

URL = "/api/v1/generate"

#: Each broken answer and what httpx raises for it over a real socket.
BROKEN = [
    ("CONNECTION_RESET_BY_PEER", httpx.ReadError),
    ("EMPTY_RESPONSE", httpx.RemoteProtocolError),
    ("RANDOM_DATA_THEN_CLOSE", httpx.RemoteProtocolError),
    ("MALFORMED_RESPONSE_CHUNK", httpx.RemoteProtocolError),
    ("TRUNCATED_BODY", httpx.RemoteProtocolError),
]


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [
        (429, "rate_limited", "3"),
        (500, "internal_error", None),
        (502, "storage_error", None),
        (503, "model_unavailable", "3"),
        (504, "generation_timeout", None),
    ],
)
def test_a_status_fault_answers_the_contracts_error(
    live_mock: MockServer, mock_api: httpx.Client, status: int, code: str, retry_after: str | None
) -> None:
    live_mock.fail(status, retry_after=3)
    response = mock_api.post(URL, json=T2I)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
    assert response.headers.get("retry-after") == retry_after
    assert mock_api.post(URL, json=T2I).status_code == 200  # one-shot
    assert live_mock.requests[0].fault == {"id": "f1", "kind": "status", "description": f"{status} {code}"}


@pytest.mark.parametrize(("kind", "error"), BROKEN, ids=[kind for kind, _ in BROKEN])
def test_a_broken_connection_is_what_the_client_sees(
    live_mock: MockServer, mock_api: httpx.Client, kind: str, error: type[Exception]
) -> None:
    live_mock.fail(fault=kind)
    with pytest.raises(error):
        mock_api.post(URL, json=T2I)
    assert mock_api.post(URL, json=T2I).status_code == 200  # the server itself is fine
    assert live_mock.requests[0].fault is not None and live_mock.requests[0].fault["kind"] == kind


@pytest.mark.parametrize(("kind", "error"), BROKEN, ids=[kind for kind, _ in BROKEN])
def test_the_in_process_transport_raises_the_same_errors(kind: str, error: type[Exception]) -> None:
    mock = transport()
    with httpx.Client(transport=mock, base_url="http://mock", headers={"Authorization": "Bearer eigen-mock-key"}) as c:
        mock.fail(fault=kind)
        with pytest.raises(error):
            c.post(URL, json=T2I)
        assert c.post(URL, json=T2I).status_code == 200


def test_malformed_json_is_a_200_whose_body_does_not_parse(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(fault="MALFORMED_JSON")
    response = mock_api.post(URL, json=T2I)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_a_delay_does_not_hold_up_other_requests(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(delay=1.0, headers={"X-Slow": "yes"})
    slow: dict[str, float] = {}

    def send_slow() -> None:
        started = time.perf_counter()
        with httpx.Client(base_url=live_mock.url, headers=live_mock.headers, timeout=30) as other:
            other.post(URL, json=T2I, headers={"X-Slow": "yes"})
        slow["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=send_slow)
    worker.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert mock_api.post(URL, json=T2I).status_code == 200
    fast = time.perf_counter() - started
    worker.join(timeout=20)
    assert fast < 0.8 and slow["seconds"] >= 1.0


def test_a_slow_body_arrives_whole_but_late(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(dribble=(4, 0.4))
    started = time.perf_counter()
    response = mock_api.post(URL, json=T2I)
    assert time.perf_counter() - started >= 0.4
    assert response.status_code == 200 and response.json()["width"] == 512


def test_faults_match_on_model_mode_and_headers(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(503, model="wan-image", times=None)
    live_mock.fail(500, mode="image-editing")
    live_mock.fail(502, headers={"X-Tenant": "b"})
    assert mock_api.post(URL, json=T2I).status_code == 200
    assert mock_api.post(URL, json={**T2I, "model": "wan-image"}).status_code == 503
    assert mock_api.post(URL, json=T2I, headers={"X-Tenant": "b"}).status_code == 502
    assert [entry["id"] for entry in live_mock.faults] == ["f1", "f2"]


def test_the_fault_header_applies_to_its_request_only(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(500)
    response = mock_api.post(URL, json=T2I, headers={"X-Mock-Fault": '{"status": 429, "retryAfter": 9}'})
    assert (response.status_code, response.headers["retry-after"]) == (429, "9")
    assert mock_api.post(URL, json=T2I).status_code == 500  # the queued fault was left for the next request
    with pytest.raises(httpx.ReadError):
        mock_api.post(URL, json=T2I, headers={"X-Mock-Fault": "CONNECTION_RESET_BY_PEER"})
    assert mock_api.post(URL, json=T2I, headers={"X-Mock-Fault": "teapot"}).status_code == 400


def test_a_malformed_request_still_takes_its_fault(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(503)
    assert mock_api.post(URL, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 503
    assert mock_api.post(URL, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400


def test_the_rate_limiter_answers_429_with_retry_after(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.rate_limit(2, window_seconds=30)
    statuses = [mock_api.post(URL, json=T2I).status_code for _ in range(3)]
    refused = mock_api.post(URL, json=T2I)
    assert statuses == [200, 200, 429] and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    other_key = {"Authorization": "Bearer another-key"}
    assert mock_api.post(URL, json=T2I, headers=other_key).status_code == 401  # counted per key, auth still first
    live_mock.rate_limit(None)
    assert mock_api.post(URL, json=T2I).status_code == 200
