"""The validation proxy: traffic passes unchanged; what breaks the spec is reported, in headers and journal."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_server import MockServer, Settings
from mock_server.proxy.routes import COUNT_HEADER, VIOLATION_HEADER
from mock_server.testing.threaded_server import ThreadedServer
from tests.fixtures.client import T2I
from tests.fixtures.servers import free_port, server_process

URL = "/api/v1/generate"


async def _broken(request: Request) -> Response:
    """A server that gets the contract wrong in the ways the proxy must notice."""
    body = await request.json()
    if body.get("prompt") == "teapot":
        return Response("I'm a teapot", status_code=418)
    if body.get("prompt") == "plain":
        return Response("fine", media_type="text/plain", headers={"X-Request-Id": "gen_1"})
    return JSONResponse({"request_id": "gen_1", "model": body.get("model"), "image_base64": "aGVsbG8="})


@pytest.fixture(scope="module")
def broken_upstream() -> Iterator[str]:
    with ThreadedServer(Starlette(routes=[Route(URL, _broken, methods=["POST"])])) as server:
        yield server.url


@pytest.fixture(scope="module")
def proxy_to_mock(shared_mock: MockServer) -> Iterator[str]:
    """``eigen-mock proxy`` from the command line, in front of a mock."""
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "proxy", "--target", shared_mock.url, "--port", str(port),
               "--log-level", "warning"]
    with server_process(command, port=port) as url:
        yield url


def _violations(response: httpx.Response) -> list[str]:
    return response.headers.get_list(VIOLATION_HEADER)


def test_a_conforming_exchange_passes_unchanged_with_no_violations(live_mock: MockServer, proxy_to_mock: str) -> None:
    direct = httpx.post(f"{live_mock.url}{URL}", json={**T2I, "binary_response": True}, headers=live_mock.headers)
    proxied = httpx.post(f"{proxy_to_mock}{URL}", json={**T2I, "binary_response": True}, headers=live_mock.headers,
                         timeout=30)
    assert proxied.status_code == 200 and proxied.content == direct.content
    assert proxied.headers["x-image-sha256"] == direct.headers["x-image-sha256"]
    assert proxied.headers[COUNT_HEADER] == "0" and _violations(proxied) == []


def test_a_request_that_breaks_the_spec_is_reported(live_mock: MockServer, proxy_to_mock: str) -> None:
    answer = httpx.post(f"{proxy_to_mock}{URL}", json={**T2I, "width": 5, "seed": "7"}, timeout=30)
    assert answer.status_code == 401  # the server's own answer, passed through
    assert _violations(answer)[0] == "request: no 'Authorization: Bearer <key>' header"
    assert any(v.startswith("request: invalid_parameter:") for v in _violations(answer))
    journal = httpx.get(f"{proxy_to_mock}/_mock/requests").json()["requests"]
    assert journal[-1]["source"] == "proxy" and journal[-1]["violations"][0]["where"] == "request"
    assert live_mock.requests.last.status == 401  # the server saw the request


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("json", ["response: X-Request-Id is missing", "response: body: 'seed' is a required property"]),
        ("plain", ["response: Content-Type text/plain is not declared for 200 (declared: application/json, "
                   "image/jpeg, image/png)"]),
        ("teapot", ["response: X-Request-Id is missing", "response: status 418 is not declared by the spec"]),
    ],
)
def test_an_answer_that_breaks_the_spec_is_reported(broken_upstream: str, prompt: str, expected: list[str]) -> None:
    with MockServer(Settings(access_log=False, proxy_target=broken_upstream)) as proxy:
        answer = httpx.post(f"{proxy.url}{URL}", json={**T2I, "prompt": prompt}, headers=proxy.headers)
        reported = _violations(answer)
        assert all(item in reported for item in expected), reported
        assert answer.headers[COUNT_HEADER] == str(len(proxy.requests.last.violations))
        assert [f"{v['where']}: {v['message']}" for v in proxy.requests.last.violations][: len(reported)] == reported


def test_an_unreachable_target_is_a_502_in_the_contracts_shape() -> None:
    with MockServer(Settings(access_log=False, proxy_target=f"http://127.0.0.1:{free_port()}")) as proxy:
        answer = httpx.post(f"{proxy.url}{URL}", json=T2I, headers=proxy.headers)
        assert answer.status_code == 502 and answer.json()["error"]["code"] == "upstream_unavailable"
