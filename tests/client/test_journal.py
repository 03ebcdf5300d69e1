"""The journal records what a client sent and what it got: hashes not bytes, no key, bounded."""

from __future__ import annotations

import base64
import hashlib
import json
import tracemalloc
from pathlib import Path

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from mock_server import CallList, MockServer
from mock_server.journal import middleware as recording
from mock_server.journal.calls import Call, Journal, _compact
from mock_server.journal.summary import redact_headers
from mock_server.state.store import MemoryStore
from tests.fixtures.client import T2I

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "images"


def test_a_json_request_is_recorded_with_its_parameters_status_and_timing(live_mock: MockServer,
                                                                           mock_api: httpx.Client) -> None:
    response = mock_api.post("/api/v1/generate", json=T2I)
    call = live_mock.requests.last
    assert (call.method, call.path, call.status, call.source) == ("POST", "/api/v1/generate", 200, "mock")
    assert call.params == T2I
    assert (call.model, call.mode) == ("eigen-image", "text-to-image")
    assert call.request_id == response.headers["x-request-id"]
    assert call.image_sha256 == response.json()["image_sha256"]
    assert call.content_type == "application/json" and call.response_size == len(response.content)
    assert 0 < call.duration_ms < 30_000 and call.fault is None


def test_file_parts_are_kept_as_hashes_never_as_bytes(live_mock: MockServer, mock_api: httpx.Client) -> None:
    source = (FIXTURES / "square.png").read_bytes()
    mock_api.post("/api/v1/generate", data={"model": "qwen-image-edit-2511", "prompt": "winter", "seed": "3"},
             files=[("images", ("square.png", source, "image/png")), ("images", ("again.png", source, "image/png"))])
    call = live_mock.requests.last
    digest = hashlib.sha256(source).hexdigest()
    assert [(p.field, p.filename, p.content_type, p.size, p.sha256) for p in call.files] == [
        ("images", "square.png", "image/png", len(source), digest),
        ("images", "again.png", "image/png", len(source), digest)]
    assert call.params == {"model": "qwen-image-edit-2511", "prompt": "winter", "seed": "3"}
    assert call.mode == "image-editing" and call.status == 200
    assert base64.b64encode(source[:48]).decode() not in json.dumps(call.to_json())


def test_base64_images_in_json_and_data_urls_become_file_hashes(live_mock: MockServer, mock_api: httpx.Client) -> None:
    source = (FIXTURES / "square.png").read_bytes()
    encoded = base64.b64encode(source).decode()
    mock_api.post("/api/v1/generate", json={"model": "flux-1-kontext", "prompt": "a", "image": encoded})
    mock_api.post("/api/v1/generate", json={"model": "flux-1-kontext", "prompt": "b",
                                       "image_path": f"data:image/png;base64,{encoded}"})
    first, second = live_mock.requests
    digest = hashlib.sha256(source).hexdigest()
    assert [(p.field, p.sha256) for p in first.files] == [("image", digest)] and "image" not in first.params
    assert [(p.field, p.content_type, p.sha256) for p in second.files] == [("image_path", "image/png", digest)]
    assert second.params["image_path"] == f"data:image/png;sha256={digest}"
    assert encoded[:40] not in json.dumps([first.to_json(), second.to_json()])


def test_the_api_key_never_reaches_the_journal(live_mock: MockServer, mock_api: httpx.Client) -> None:
    mock_api.post("/api/v1/generate", json=T2I, headers={"X-Api-Key": "also-secret"})
    text = json.dumps(live_mock.runtime.journal.documents())
    assert live_mock.api_key not in text and "also-secret" not in text
    assert live_mock.requests.last.headers["authorization"] == "Bearer <redacted>"


def test_errors_and_unknown_paths_are_recorded_with_their_codes(live_mock: MockServer, mock_api: httpx.Client) -> None:
    mock_api.post("/api/v1/generate", json={**T2I, "width": 5})
    mock_api.post("/api/v1/generate", json=T2I, headers={"Authorization": "Bearer wrong"})
    mock_api.get("/api/v2/nothing")
    assert [(c.status, c.error_code) for c in live_mock.requests] == [
        (400, "invalid_parameter"), (401, "invalid_api_key"), (404, "not_found")]


def test_control_plane_requests_are_not_recorded(live_mock: MockServer, mock_control: httpx.Client) -> None:
    mock_control.get("/health")
    mock_control.get("/requests")
    assert live_mock.requests.call_count == 0


def test_calls_can_be_filtered_by_field_or_parameter(live_mock: MockServer, mock_api: httpx.Client) -> None:
    mock_api.post("/api/v1/generate", json=T2I)
    mock_api.post("/api/v1/generate", json={**T2I, "seed": 8})
    mock_api.post("/api/v1/generate", json={**T2I, "width": 1})
    calls = live_mock.requests
    assert calls.filter(status=200).call_count == 2
    assert calls.filter(seed=8, status=200).last.params["seed"] == 8
    assert calls.filter(lambda call: call.status >= 400 if call.status else False).call_count == 1
    assert not calls.filter(model="wan-image").called


def _document(index: int) -> dict[str, object]:
    return {"request_id": f"gen_{index:032x}", "time": 1.0, "method": "POST", "path": "/api/v1/generate",
            "headers": {"authorization": "Bearer <redacted>", "content-type": "application/json",
                        "user-agent": "python-httpx/0.28.1", "content-length": "80"},
            "params": {**T2I, "prompt": f"a red fox number {index}"}, "files": [], "model": "eigen-image",
            "mode": "text-to-image", "status": 200, "duration_ms": 3.2, "content_type": "application/json",
            "response_size": 94_000, "error_code": None, "image_sha256": "ab" * 32, "fault": None,
            "violations": [], "source": "mock"}


@given(count=st.integers(min_value=0, max_value=60), limit=st.integers(min_value=1, max_value=20))
def test_the_journal_keeps_the_newest_calls_up_to_its_size(count: int, limit: int) -> None:
    journal = Journal(MemoryStore(), limit)
    for index in range(count):
        journal.record(_document(index))
    calls = journal.calls()
    assert isinstance(calls, CallList) and len(calls) == min(count, limit)
    assert [c.params["prompt"] for c in calls] == [f"a red fox number {i}" for i in range(count - len(calls), count)]


def test_journal_memory_is_bounded_after_ten_thousand_requests() -> None:
    journal = Journal(MemoryStore(), limit=1000)
    tracemalloc.start()
    try:
        for index in range(2_000):
            journal.record(_document(index))
        after_two_thousand = tracemalloc.get_traced_memory()[0]
        for index in range(2_000, 10_000):
            journal.record(_document(index))
        after_ten_thousand = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after_ten_thousand < 2 * 1024 * 1024  # about 1 KB per kept call
    assert after_ten_thousand < after_two_thousand * 1.1  # flat once the journal is full
    assert Call.from_json(1, _document(0)).to_json()["params"] == _document(0)["params"]


def test_a_huge_request_makes_a_small_record(live_mock: MockServer, mock_api: httpx.Client) -> None:
    headers = {f"X-Filler-{index}": "x" * 2000 for index in range(40)}
    mock_api.post("/api/v1/generate", json={**T2I, "prompt": "p" * 10_000}, headers=headers)
    text = json.dumps(live_mock.runtime.journal.documents()[-1])
    assert len(text) < 20_000 and live_mock.requests.last.status == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=8))
@example({"seed": 2**70, "prompt": "\ud800", "ok": [1.5e16, -0.0]})
def test_a_record_reads_back_as_the_standard_library_would_write_it(document: dict[str, object]) -> None:
    """orjson writes the records; what it refuses (integers beyond 64 bits, lone surrogates) the
    standard library writes. Either way a record reads back the same."""
    assert json.loads(_compact(document)) == json.loads(json.dumps(document))


header_lists = st.lists(st.tuples(st.sampled_from([b"authorization", b"Cookie", b"x-trace", b"host", b"X-Trace"]),
                                  st.binary(max_size=12)), max_size=6)  # fmt: skip


@given(header_lists, header_lists)
def test_recorded_headers_are_each_requests_own_even_when_kept_for_reuse(first: list[tuple[bytes, bytes]],
                                                                         second: list[tuple[bytes, bytes]]) -> None:
    """The decoded, redacted headers are kept per distinct header list: asking again, or for
    another list in between, gives exactly what decoding that list afresh gives."""
    def fresh(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
        return redact_headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)

    for raw in (first, second, first):
        assert recording._headers(tuple(raw)) == fresh(raw)
