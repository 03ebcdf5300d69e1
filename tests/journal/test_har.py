"""The journal as HAR 1.2: valid for npm's har-validator, read back by haralyzer, bodies bounded."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from haralyzer import HarParser
from hypothesis import given
from hypothesis import strategies as st

from mock_server import MockServer
from mock_server.journal.har import to_har
from mock_server.journal.kept_answers import KeptAnswer, KeptAnswers
from tests.fixtures.client import T2I
from tests.support import source_png

VALIDATOR = Path(__file__).with_name("har_validate.mjs")


def har_validator(document: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """npm's har-validator's verdict on ``document`` (fails, never skips, without node)."""
    assert shutil.which("node"), "node is needed for this test (`make test` runs npm ci)"
    path = tmp_path / f"journal-{len(list(tmp_path.iterdir()))}.har"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    verdict: dict[str, Any] = json.loads(done.stdout)
    return verdict


def varied_traffic(mock: MockServer, client: httpx.Client) -> None:
    """JSON and binary answers, a multipart edit, a 400, a 503 by fault and a reset connection."""
    client.post("/api/v1/generate", json=T2I)
    client.post("/api/v1/generate", json={**T2I, "seed": 8, "binary_response": True, "output_format": "jpg"})
    client.post(
        "/api/v1/generate",
        files={"image_file": ("cat.png", source_png(), "image/png")},
        data={"model": "eigen-image", "prompt": "make it blue", "seed": "3"},
    )
    client.post("/api/v1/generate", json={**T2I, "width": 5})
    mock.fail(503)
    client.post("/api/v1/generate", json=T2I)
    mock.fail(fault="CONNECTION_RESET_BY_PEER")
    with pytest.raises(httpx.ReadError):
        client.post("/api/v1/generate", json=T2I)


def test_the_har_export_validates_and_reads_back_with_every_kind_of_call(
    live_mock: MockServer,
    mock_api: httpx.Client,
    mock_control: httpx.Client,
    tmp_path: Path,
) -> None:
    varied_traffic(live_mock, mock_api)
    answer = mock_control.get("/requests.har")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    har = answer.json()
    assert har_validator(har, tmp_path) == {"valid": True, "entries": 6}
    entries = HarParser(har).pages[0].entries
    assert [entry.response.status for entry in entries] == [200, 200, 200, 400, 503, 0]
    assert [entry.request.method for entry in entries] == ["POST"] * 6
    assert all(entry.request.url == f"{live_mock.url}/api/v1/generate" for entry in entries)
    assert entries[1].response.mimeType == "image/jpeg"
    journal = live_mock.requests
    assert [entry["_eigenMock"]["image_sha256"] for entry in har["log"]["entries"]] == [
        call.image_sha256 for call in journal
    ]
    assert all("text" not in entry["response"]["content"] for entry in har["log"]["entries"])
    multipart = har["log"]["entries"][2]["request"]["postData"]
    upload = next(param for param in multipart["params"] if param["name"] == "image_file")
    assert upload["fileName"] == "cat.png" and hashlib.sha256(source_png()).hexdigest() in upload["value"]
    assert har["log"]["entries"][5]["_error"] == "net::ERR_CONNECTION_RESET"
    assert har["log"]["entries"][4]["_eigenMock"]["fault"]["id"] == "f1"
    authorization = next(h for h in har["log"]["entries"][0]["request"]["headers"] if h["name"] == "authorization")
    assert authorization["value"] == "Bearer <redacted>"


def test_bodies_true_inlines_the_answers_as_sent(
    live_mock: MockServer,
    mock_api: httpx.Client,
    mock_control: httpx.Client,
    tmp_path: Path,
) -> None:
    sent = [
        mock_api.post("/api/v1/generate", json=T2I),
        mock_api.post("/api/v1/generate", json={**T2I, "binary_response": True}),
        mock_api.post("/api/v1/generate", json={**T2I, "width": 5}),
    ]
    har = mock_control.get("/requests.har", params={"bodies": "true"}).json()
    assert har_validator(har, tmp_path)["valid"] is True
    contents = [entry["response"]["content"] for entry in har["log"]["entries"]]
    assert json.loads(contents[0]["text"]) == sent[0].json()
    assert (contents[1]["encoding"], base64.b64decode(contents[1]["text"])) == ("base64", sent[1].content)
    assert json.loads(contents[2]["text"])["error"]["code"] == "invalid_parameter"
    headers = {h["name"]: h["value"] for h in har["log"]["entries"][1]["response"]["headers"]}
    assert headers["x-image-sha256"] == hashlib.sha256(sent[1].content).hexdigest()
    assert mock_control.get("/requests.har", params={"bodies": "maybe"}).status_code == 400


def test_the_python_api_exports_the_same_har_with_bounded_bodies(
    live_mock: MockServer,
    mock_api: httpx.Client,
    mock_control: httpx.Client,
) -> None:
    for seed in (1, 2, 3):
        mock_api.post("/api/v1/generate", json={**T2I, "seed": seed})
    over_http = mock_control.get("/requests.har", params={"model": "eigen-image", "limit": 2}).json()
    in_python = live_mock.requests.filter(model="eigen-image")[-2:].to_har()
    assert in_python["log"]["entries"] == over_http["log"]["entries"]
    first, second, third = (call.response_size for call in live_mock.requests)
    bounded = live_mock.requests.to_har(bodies=True, max_inline_bytes=first + second + third - 1)
    inlined = ["text" in entry["response"]["content"] for entry in bounded["log"]["entries"]]
    assert inlined == [True, True, False]
    assert "over the HAR's bound" in bounded["log"]["entries"][2]["response"]["content"]["comment"]


@given(
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 40), st.booleans()), max_size=40),
    st.integers(0, 5),
    st.integers(1, 100),
)
def test_kept_answers_stay_within_their_bounds_and_keep_the_newest(
    answers: list[tuple[str, int, bool]],
    count: int,
    max_bytes: int,
) -> None:
    kept = KeptAnswers(count, max_bytes=max_bytes)
    for request_id, size, remade in answers:
        body = b"x" * size
        kept.keep(request_id, KeptAnswer(200, [], size, partial(bytes, body) if remade else body))
    held = {rid: kept.get(rid) for rid in "abcdef"}
    present = [answer for answer in held.values() if answer is not None]
    assert len(present) <= count
    assert sum(len(a.source) for a in present if isinstance(a.source, bytes)) <= max_bytes
    if answers and count:
        rid, size, remade = answers[-1]
        if remade or size <= max_bytes // count:
            newest = held[rid]
            assert newest is not None and newest.body == b"x" * size


def test_a_broken_answer_is_kept_as_it_went_out(live_mock: MockServer, mock_api: httpx.Client) -> None:
    live_mock.fail(fault="TRUNCATED_BODY")
    with pytest.raises(httpx.RemoteProtocolError):
        mock_api.post("/api/v1/generate", json=T2I)
    mock_api.post("/api/v1/generate", json=T2I)  # recorded after the broken one
    entries = live_mock.requests.to_har(bodies=True)["log"]["entries"]
    sent, whole = (entry["response"]["content"]["text"] for entry in entries)
    assert len(sent) == len(whole) // 2 and sent[60:] == whole[60 : len(sent)]  # past the request id: the same


def test_an_empty_journal_is_a_valid_har(tmp_path: Path) -> None:
    assert har_validator(to_har([]), tmp_path) == {"valid": True, "entries": 0}
