"""Fault documents are checked whole at the door, and nothing any of them does is a 500.

The probes that used to get 500 (or wedge the API: a queued lognormal delay whose draw
overflowed on every request, so the fault was never used up) are examples here; the
properties send arbitrary documents, headers and bodies to every route.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from mock_server import Settings, create_app
from mock_server.faults import fault as faults
from tests.fixtures.app import InProcessClient
from tests.support import assert_error

T2I = {"model": "eigen-image", "prompt": "a cat", "seed": 1}
JSON = {"Content-Type": "application/json"}
#: Numbers that are not JSON, or not finite once parsed: spelled into the text as they are.
ODD_NUMBERS = ["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "1e308", "9" * 400, "-0.0", "503.0"]
_RAW = "\u0000raw:"


class SleepLog:
    """Stands in for the handlers' wait for an injected delay: records the waits, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        assert math.isfinite(seconds) and 0 <= seconds <= faults.MAX_DELAY_MS / 1000, seconds
        self.waits.append(seconds)

    async def wait(self, request: object, seconds: float) -> bool:
        await self.sleep(seconds)
        return False  # the client did not leave


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(Settings(access_log=False, random_seed=7))


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> SleepLog:
    log = SleepLog()
    monkeypatch.setattr("mock_server.http.endpoints._client_leaves_within", log.wait)
    monkeypatch.setattr("mock_server.faults.responses.anyio.sleep", log.sleep)  # a slow body's pauses
    return log


@pytest.fixture
def mock(app: Starlette, waits: SleepLog) -> InProcessClient:
    return InProcessClient(app)


def text_of(document: Any) -> str:
    """JSON text with the placeholders of ``ODD_NUMBERS`` spelled out raw."""
    text = json.dumps(document)
    for number in ODD_NUMBERS:
        text = text.replace(json.dumps(_RAW + number), number)
    return text


def answer(client: InProcessClient, method: str, url: str, **kwargs: Any) -> int | None:
    """The status, or None for a connection the mock broke on purpose (an injected network fault)."""
    try:
        return client.request(method, url, **kwargs).status_code
    except httpx.TransportError:
        return None


def header_value(value: str) -> bytes | None:
    """``value`` as a header carries it (Latin-1, no control characters), or None if it cannot be one."""
    try:
        raw = value.strip().encode("latin-1")
    except UnicodeEncodeError:
        return None
    return raw if raw and not any(byte < 32 or byte == 127 for byte in raw) else None


def assert_not_a_bug(response: httpx.Response) -> None:
    """No 500 but an injected one (its message says so)."""
    if response.status_code == 500:
        assert response.json()["error"]["message"].startswith("injected fault"), response.text


scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=8) | st.sampled_from([_RAW + n for n in ODD_NUMBERS]))  # fmt: skip
keys = st.sampled_from(
    sorted(faults._KEYS)
    + [
        "retry_after",
        "fixed_delay_milliseconds",
        "type",
        "median",
        "sigma",
        "lower",
        "upper",
        "numberOfChunks",
        "totalDuration",
        "model",
        "mode",
        "headers",
        "nope",
    ]
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=10
)
fault_documents = st.dictionaries(keys, json_values, max_size=5) | json_values


@given(document=fault_documents)
@example(document={"delayDistribution": {"type": "lognormal", "median": 1000, "sigma": 600000}, "times": None})
@example(document={"status": [503]})
@example(document={"fault": {}})
@example(document={"error": []})
@example(document={"status": 503, "retryAfter": _RAW + "1e400"})
@example(document={"status": 503, "times": _RAW + "Infinity"})
@example(document={"status": 503, "probability": _RAW + "NaN"})
@example(document={"status": 503, "match": {"model": 5}})
def test_any_fault_document_is_queued_or_refused_and_never_breaks_a_request(
    mock: InProcessClient, document: Any
) -> None:
    mock.request("DELETE", "/_mock/faults")
    queued = mock.request("POST", "/_mock/faults", content=text_of(document), headers={**mock.headers, **JSON})
    assert queued.status_code in (201, 400), queued.text
    if queued.status_code == 400:
        assert_error(queued, 400, queued.json()["error"]["code"])
        assert mock.get("/_mock/faults").json()["faults"] == []
        return
    for _ in range(2):
        status = answer(mock, "POST", "/api/v1/generate", json=T2I)
        assert status is None or status != 500 or mock.get("/_mock/requests").json()["requests"][-1]["fault"]
    assert mock.get("/_mock/faults").status_code == 200


@given(document=fault_documents, raw=st.text(max_size=40))
@example(document={"status": [503]}, raw="")
@example(document={"retryAfter": _RAW + "1e400", "status": 503}, raw="")
@example(document={}, raw="{" * 100_000)
@example(document={}, raw="[" * 5000)
def test_any_x_mock_fault_header_is_applied_or_a_400(mock: InProcessClient, document: Any, raw: str) -> None:
    for value in (text_of(document), raw):
        sent = header_value(value)
        if sent is not None:
            try:
                response = mock.post("/api/v1/generate", json=T2I, headers={**mock.headers, "X-Mock-Fault": sent})
            except httpx.TransportError:
                continue  # an injected broken connection
            assert_not_a_bug(response)


@given(document=json_values | st.dictionaries(st.sampled_from(["limit", "window_seconds", "x"]), json_values))
@example(document={"limit": _RAW + "1e400"})
@example(document={"limit": 5, "window_seconds": _RAW + "Infinity"})
@example(document={"limit": 5, "window_seconds": _RAW + "NaN"})
@example(document={"limit": True})
def test_any_rate_limit_document_is_set_or_a_400(mock: InProcessClient, document: Any) -> None:
    response = mock.request("PUT", "/_mock/rate-limit", content=text_of(document), headers={**mock.headers, **JSON})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        body = response.json()
        assert isinstance(body["limit"], int) and body["limit"] >= 1
        assert 0 < body["window_seconds"] <= 86_400
    mock.request("DELETE", "/_mock/rate-limit")


def test_a_large_lognormal_sigma_is_refused_and_the_largest_allowed_is_capped(
    mock: InProcessClient, waits: SleepLog
) -> None:
    wedge = {"delayDistribution": {"type": "lognormal", "median": 1000, "sigma": 600000}, "times": None}
    refused = mock.post("/_mock/faults", json=wedge)
    assert_error(refused, 400, "invalid_parameter", param="delayDistribution.sigma")
    assert "sigma" in refused.json()["error"]["message"]

    widest = {"delayDistribution": {"type": "lognormal", "median": 600000, "sigma": faults.MAX_SIGMA}, "times": 20}
    assert mock.post("/_mock/faults", json=widest).status_code == 201
    for _ in range(20):
        assert mock.generate(json=T2I).status_code == 200
    assert mock.get("/_mock/faults").json()["faults"] == []  # used up: the fault no longer wedges anything
    assert len(waits.waits) == 20 and max(waits.waits) <= faults.MAX_DELAY_MS / 1000


methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)


@given(
    data=st.data(),
    method=methods,
    body=st.binary(max_size=200) | fault_documents.map(text_of).map(str.encode),
    content_type=st.sampled_from(["application/json", "text/plain", "application/yaml", "", "multipart/form-data"]),
    fault=st.none() | header_values | fault_documents.map(text_of),
)
def test_no_route_answers_500_to_any_method_header_or_body(
    app: Starlette,
    mock: InProcessClient,
    data: st.DataObject,
    method: str,
    body: bytes,
    content_type: str,
    fault: str | None,
) -> None:
    paths = sorted(
        {
            route.path.replace("{fault_id}", "f1").replace("{sha256}", "0" * 64).replace("{name}", "x.css")
            for route in app.routes
            if isinstance(route, Route)
        }
    )
    path = data.draw(st.sampled_from(paths))
    headers: dict[str, str | bytes] = {**mock.headers, "Content-Type": content_type}
    sent = None if fault is None else header_value(fault)
    if sent is not None:
        headers["X-Mock-Fault"] = sent
    try:
        response = mock.request(method, path, content=body, headers=headers)
    except httpx.TransportError:
        return  # an injected broken connection
    assert_not_a_bug(response)
    mock.request("DELETE", "/_mock/faults")
    mock.request("DELETE", "/_mock/rate-limit")
