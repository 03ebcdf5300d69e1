"""Stubs: a user's picture, error or fault for the requests that match, still a conforming answer."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mypy_boto3_s3 import S3Client
from PIL import Image

from mock_server import MockServer, Settings
from mock_server.cli import main
from mock_server.s3.embedded import EmbeddedS3
from mock_server.stubs.book import StubFacts, StubSpecError, _accepts, load_directory, parse
from tests.fixtures.client import T2I
from tests.support import IMAGES

SQUARE = (IMAGES / "square.png").read_bytes()  # 512 x 512 PNG


def picture(size: tuple[int, int], color: tuple[int, int, int] = (200, 30, 30), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def decoded(answer: httpx.Response) -> tuple[bytes, Image.Image]:
    data = base64.b64decode(answer.json()["image_base64"])
    return data, Image.open(io.BytesIO(data))


@pytest.fixture
def stubs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "stubs"
    directory.mkdir()
    (directory / "fox.png").write_bytes(SQUARE)
    (directory / "team.yaml").write_text(
        "- name: the fox\n  match: {prompt: a red fox}\n  image: fox.png\n"
        "- match: {prompt: {matches: '^down'}}\n  error: model_unavailable\n  retryAfter: 7\n",
        encoding="utf-8",
    )
    (directory / "more.json").write_text(
        json.dumps({"stubs": [{"match": {"seed": 13}, "fault": "EMPTY_RESPONSE", "priority": 1}]}), encoding="utf-8"
    )
    return directory


@pytest.fixture
def stubbed_mock(stubs_dir: Path, s3_server: EmbeddedS3) -> Iterator[MockServer]:
    settings = Settings(access_log=False, stubs_dir=stubs_dir, s3_endpoint_url=s3_server.endpoint_url)
    with MockServer(settings) as server:
        yield server


def test_a_stubbed_prompt_returns_the_user_s_picture_at_the_requested_size_and_format(
    stubbed_mock: MockServer,
    s3_client: S3Client,
    bucket: str,
) -> None:
    with httpx.Client(base_url=stubbed_mock.url, headers=stubbed_mock.headers, timeout=30) as client:
        same = client.post("/api/v1/generate", json=T2I)  # 512 x 512 PNG, as the file: its very bytes
        assert decoded(same)[0] == SQUARE and same.json()["image_sha256"] == hashlib.sha256(SQUARE).hexdigest()
        body = {
            **T2I,
            "width": 768,
            "height": 640,
            "output_format": "jpg",
            "seed": 21,
            "s3_output_path": f"s3://{bucket}/stubbed/fox.jpg",
        }
        fitted = client.post("/api/v1/generate", json=body)
        binary = client.post("/api/v1/generate", json={**T2I, "binary_response": True, "width": 1024})
        other = client.post("/api/v1/generate", json={**T2I, "prompt": "a blue fox"})
    data, image = decoded(fitted)
    answer = fitted.json()
    assert (image.format, image.size, answer["seed"], answer["width"], answer["height"]) == (
        "JPEG",
        (768, 640),
        21,
        768,
        640,
    )
    assert answer["image_sha256"] == hashlib.sha256(data).hexdigest()
    assert answer["turbo_image_base64"] == answer["image_base64"] and answer["processing_time_seconds"] > 0
    assert s3_client.get_object(Bucket=bucket, Key="stubbed/fox.jpg")["Body"].read() == data
    assert binary.headers["content-type"] == "image/png" and Image.open(io.BytesIO(binary.content)).size == (1024, 512)
    assert binary.headers["x-image-sha256"] == hashlib.sha256(binary.content).hexdigest()
    assert binary.headers["x-seed"] == "7"
    assert decoded(other)[0] != SQUARE
    calls = stubbed_mock.requests
    assert [call.stub and call.stub["name"] for call in calls] == ["the fox", "the fox", "the fox", None]


def test_stubbed_errors_and_faults_and_their_priority(stubbed_mock: MockServer) -> None:
    with httpx.Client(base_url=stubbed_mock.url, headers=stubbed_mock.headers, timeout=30) as client:
        down = client.post("/api/v1/generate", json={**T2I, "prompt": "down again"})
        assert (down.status_code, down.headers["retry-after"], down.json()["error"]["code"]) == (
            503,
            "7",
            "model_unavailable",
        )
        with pytest.raises(httpx.RemoteProtocolError):  # seed 13 has priority 1: before the fox
            client.post("/api/v1/generate", json={**T2I, "seed": 13})
        client.post("/api/v1/generate", json={**T2I, "prompt": "after"})  # recorded after the broken one
    assert [entry["id"] for entry in stubbed_mock.stubs] == ["s1", "s2", "s3"]
    assert [entry["applied"] for entry in stubbed_mock.stubs] == [1, 0, 1]
    assert [call.stub["kind"] for call in stubbed_mock.requests if call.stub] == ["error", "fault"]


def test_a_reset_restores_the_directory_s_stubs_and_drops_the_others(stubbed_mock: MockServer) -> None:
    added = stubbed_mock.stub(seed=99, status=504)
    stubbed_mock.clear_stubs()
    assert stubbed_mock.stubs == [] and added == "s4"
    stubbed_mock.stub(seed=99, status=504)
    stubbed_mock.reset()
    assert [entry["id"] for entry in stubbed_mock.stubs] == ["s1", "s2", "s3"]


def test_the_control_plane_adds_lists_and_removes_stubs(
    live_mock: MockServer, mock_api: httpx.Client, mock_control: httpx.Client
) -> None:
    jpeg = picture((640, 480), fmt="JPEG")
    added = mock_control.post(
        "/stubs",
        json=[
            {
                "match": {"model": "eigen-image", "params": {"guidance_scale": 2.5}, "headers": {"X-Tenant": "blue"}},
                "image_base64": base64.b64encode(jpeg).decode(),
                "times": 1,
            },
            {
                "match": {"prompt": {"matches": "fox"}},
                "priority": 9,
                "fault": {"fixedDelayMilliseconds": 1, "status": 502},
            },
        ],
    )
    assert added.status_code == 201 and [entry["id"] for entry in added.json()["stubs"]] == ["s1", "s2"]
    tenant = {"X-Tenant": "blue"}
    hit = mock_api.post("/api/v1/generate", json={**T2I, "guidance_scale": 2.5, "output_format": "jpg"}, headers=tenant)
    data, image = decoded(hit)
    assert image.size == (512, 512) and image.format == "JPEG" and data != jpeg
    assert mock_api.post("/api/v1/generate", json={**T2I, "guidance_scale": 2.5}, headers=tenant).status_code == 502
    assert [entry["id"] for entry in mock_control.get("/stubs").json()["stubs"]] == ["s2"]  # s1 used up
    assert mock_control.delete("/stubs/s2").status_code == 204
    assert mock_control.delete("/stubs/s2").json()["error"]["code"] == "not_found"
    assert mock_api.post("/api/v1/generate", json=T2I).status_code == 200


@pytest.mark.parametrize(
    ("stub", "param"),
    [
        ({"match": {"prompt": "x"}}, "image"),
        ({"image_base64": "aGVsbG8=", "status": 503}, "image"),
        ({"image": "../secret.png"}, "image"),
        ({"image_base64": "not base64!"}, "image_base64"),
        ({"image_base64": base64.b64encode(b"not a picture").decode()}, "image"),
        ({"status": 418}, "status"),
        ({"fault": {"fault": "TRUNCATED_BODY", "times": 3}}, "fault"),
        ({"match": {"prompt": {"matches": "("}}, "status": 503}, "match"),
        ({"match": {"colour": "red"}, "status": 503}, "match"),
        ({"status": 503, "priority": 0}, "priority"),
        ({"status": 503, "answer": 42}, "answer"),
    ],
)
def test_a_stub_that_cannot_be_used_is_refused_with_the_key_named(
    mock_control: httpx.Client,
    stub: dict[str, Any],
    param: str,
) -> None:
    answer = mock_control.post("/stubs", json=stub)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param
    assert mock_control.get("/stubs").json()["stubs"] == []


def test_the_cli_refuses_a_bad_stubs_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("match: {prompt: x}\nimage: missing.png\n", encoding="utf-8")
    assert main(["serve", "--stubs-dir", str(tmp_path)]) == 2
    assert "bad.yaml: no file 'missing.png'" in capsys.readouterr().err


VALUES = st.one_of(st.integers(-5, 5), st.floats(-2, 2, allow_nan=False), st.booleans(), st.text(max_size=5))


@given(
    st.dictionaries(
        st.sampled_from(["seed", "width", "real_time", "negative_prompt", "guidance_scale"]), VALUES, min_size=1
    ),
    st.data(),
)
def test_a_stub_matches_exactly_the_requests_whose_values_it_names(
    params: dict[str, Any],
    data: st.DataObject,
) -> None:
    stub, _ = parse({"match": {"params": params}, "status": 503}, None)
    facts = StubFacts("eigen-image", "text-to-image", {**params, "prompt": "p"}, {})
    assert _accepts(stub["match"], facts)
    name = data.draw(st.sampled_from(sorted(params)))
    other = data.draw(VALUES.filter(lambda value: not _same(value, params[name])))
    assert not _accepts(stub["match"], StubFacts("eigen-image", "text-to-image", {**params, name: other}, {}))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b) if isinstance(a, int | float) and isinstance(b, int | float) else type(a) is type(b) and a == b


def test_a_stub_s_prompt_regex_is_searched_and_a_bad_one_refused() -> None:
    stub, _ = parse({"match": {"prompt": {"matches": "red (fox|cat)"}}, "status": 503}, None)
    assert _accepts(stub["match"], StubFacts("m", "text-to-image", {"prompt": "a red cat"}, {}))
    assert not _accepts(stub["match"], StubFacts("m", "text-to-image", {"prompt": "a red dog"}, {}))
    with pytest.raises(StubSpecError):
        parse({"match": {"prompt": {"matches": "[a-"}}, "status": 503}, None)


def test_the_guide_s_stubs_directory_example_loads(tmp_path: Path) -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "client-testing.md").read_text(encoding="utf-8")
    block = guide.split("# stubs/fox.yaml, next to stubs/fox.png\n", 1)[1].split("```", 1)[0]
    (tmp_path / "fox.yaml").write_text(block, encoding="utf-8")
    (tmp_path / "fox.png").write_bytes(SQUARE)
    loaded = load_directory(tmp_path)
    assert [stub.get("name") for stub in loaded] == ["the fox", None]
    fox, _ = parse(loaded[0], tmp_path)
    assert _accepts(fox["match"], StubFacts("eigen-image", "text-to-image", {"prompt": "a red fox"}, {}))
    assert not _accepts(fox["match"], StubFacts("eigen-image", "text-to-image", {"prompt": "a red foxes"}, {}))
