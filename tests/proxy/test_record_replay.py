"""Record and replay, with the mock itself as the recorded server: the CLI as a user runs it."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import MockServer, Settings
from mock_server.proxy.cassette import Cassette, Interaction, RecordedResponse
from tests.fixtures.client import T2I
from tests.fixtures.servers import free_port, server_process

SOURCE = (Path(__file__).resolve().parents[2] / "fixtures" / "images" / "square.png").read_bytes()
EDIT = {"model": "flux-1-kontext", "prompt": "make it winter", "seed": "3"}
SEEDLESS = {"model": "eigen-image", "prompt": "no seed given", "width": 512, "height": 512}
URL = "/api/v1/generate"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "mock_server", *args, "--log-level", "warning"]


def _edit(client: httpx.Client) -> httpx.Response:
    return client.post(URL, data=EDIT, files={"image": ("square.png", SOURCE, "image/png")})


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A cassette recorded through ``eigen-mock record`` from a mock, and what the client got."""
    cassette = tmp_path_factory.mktemp("cassette")
    port = free_port()
    with (
        MockServer(Settings(access_log=False)) as target,
        server_process(
            cli("record", "--target", target.url, "--cassette", str(cassette), "--port", str(port)), port=port
        ) as recorder,
        httpx.Client(base_url=recorder, headers=target.headers, timeout=30) as client,
    ):
        got = {
            "json": client.post(URL, json=T2I),
            "edit": _edit(client),
            "binary": client.post(URL, json={**T2I, "binary_response": True}),
            "invalid": client.post(URL, json={**T2I, "width": 5}),
            "seedless": [client.post(URL, json=SEEDLESS) for _ in range(2)],
        }
        yield cassette, got


@pytest.fixture(scope="module")
def replay_url(recording: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    port = free_port()
    command = cli("serve", "--replay", str(recording[0]), "--no-s3", "--port", str(port), "--random-seed", "99")
    with server_process(command, port=port) as url:
        yield url


def test_recording_passes_answers_through_and_stores_each_image_once(recording: tuple[Path, dict[str, Any]]) -> None:
    cassette, got = recording
    assert [got[name].status_code for name in ("json", "edit", "binary", "invalid")] == [200, 200, 200, 400]
    assert len(list((cassette / "interactions").glob("*.json"))) == 6
    images = {
        got["json"].json()["image_sha256"],
        got["edit"].json()["image_sha256"],
        *(answer.json()["image_sha256"] for answer in got["seedless"]),
    }
    assert got["binary"].headers["x-image-sha256"] in images  # same request, same image: stored once
    assert {path.name.split(".")[0] for path in (cassette / "blobs").iterdir()} == images


def test_the_cassette_never_holds_the_api_key(recording: tuple[Path, dict[str, Any]]) -> None:
    cassette, _ = recording
    for path in (cassette / "interactions").glob("*.json"):
        text = path.read_text()
        assert "eigen-mock-key" not in text
        assert json.loads(text)["request"]["headers"]["authorization"] == "Bearer <redacted>"


def test_recorded_requests_are_answered_exactly_as_recorded(
    recording: tuple[Path, dict[str, Any]], replay_url: str
) -> None:
    _, got = recording
    with httpx.Client(base_url=replay_url, headers={"Authorization": "Bearer eigen-mock-key"}, timeout=30) as c:
        assert c.post(URL, json=T2I).content == got["json"].content
        binary = c.post(URL, json={**T2I, "binary_response": True})
        assert binary.content == got["binary"].content
        assert binary.headers["x-request-id"] == got["binary"].headers["x-request-id"]
        assert c.post(URL, json={**T2I, "width": 5}).content == got["invalid"].content
        assert [c.post(URL, json=SEEDLESS).content for _ in range(3)] == [
            got["seedless"][0].content,
            got["seedless"][1].content,
            got["seedless"][1].content,
        ]


def test_matching_uses_decoded_parameters_and_image_hashes_not_multipart_bytes(
    recording: tuple[Path, dict[str, Any]], replay_url: str
) -> None:
    _, got = recording
    as_json = {**EDIT, "seed": 3, "image": base64.b64encode(SOURCE).decode()}
    with httpx.Client(base_url=replay_url, headers={"Authorization": "Bearer eigen-mock-key"}, timeout=30) as c:
        assert _edit(c).content == got["edit"].content  # a new multipart boundary
        assert c.post(URL, json=as_json).content == got["edit"].content  # the same request as JSON
        journal = httpx.get(f"{replay_url}/_mock/requests").json()["requests"]
    assert {entry["source"] for entry in journal} == {"replay"}


def test_other_requests_are_answered_synthetically_or_refused_when_strict(
    recording: tuple[Path, dict[str, Any]], replay_url: str
) -> None:
    cassette, got = recording
    other = {**T2I, "prompt": "never recorded"}
    headers = {"Authorization": "Bearer eigen-mock-key"}
    fresh = httpx.post(f"{replay_url}{URL}", json=other, headers=headers, timeout=30)
    assert fresh.status_code == 200 and fresh.headers["x-request-id"] == fresh.json()["request_id"]
    with MockServer(Settings(access_log=False, replay_dir=cassette, replay_strict=True)) as strict:
        refused = httpx.post(f"{strict.url}{URL}", json=other, headers=headers, timeout=30)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
        assert httpx.post(f"{strict.url}{URL}", json=T2I, headers=headers).content == got["json"].content


def test_a_recorded_cassette_holds_no_credential_sent_or_handed_out(tmp_path: Path) -> None:
    """Keys in the query, in any credential-looking header, and cookies the server sets: all
    redacted by name in the cassette (which gets committed), the request still recorded."""
    with (
        MockServer(Settings(access_log=False)) as target,
        MockServer(Settings(access_log=False, proxy_target=target.url, record_dir=tmp_path)) as recorder,
    ):
        target.fail(status=401)  # the target's 401 carries WWW-Authenticate: a challenge, kept as sent
        answer = httpx.post(
            f"{recorder.url}{URL}?api_key=sk-query-1&page=2",
            json=T2I,
            timeout=30,
            headers={
                "Authorization": "Bearer sk-bearer-0",
                "X-Goog-Api-Key": "sk-goog-2",
                "Cookie": "sid=sess-4",
                "Idempotency-Key": "idem-1",
            },
        )
    assert answer.status_code == 401
    (path,) = (tmp_path / "interactions").glob("*.json")
    text = path.read_text()
    assert not [secret for secret in ("sk-query-1", "sk-bearer-0", "sk-goog-2", "sess-4") if secret in text]
    recorded = json.loads(text)
    assert recorded["request"]["query"] == "api_key=<redacted>&page=2"
    assert recorded["request"]["headers"]["idempotency-key"] == "idem-1"
    assert ["www-authenticate", "Bearer"] in [[name.lower(), value] for name, value in recorded["response"]["headers"]]


def test_a_cookie_the_server_sets_is_not_kept_in_the_cassette(tmp_path: Path) -> None:
    response = RecordedResponse(
        200, (("Set-Cookie", "sid=sess-9; HttpOnly"), ("Content-Type", "application/json")), b"{}"
    )
    path = Cassette(tmp_path).record(Interaction("ab" * 32, {}, response))
    assert "sess-9" not in path.read_text()
    assert Cassette(tmp_path).interactions()[0].response.headers == (
        ("Set-Cookie", "<redacted>"),
        ("Content-Type", "application/json"),
    )
