"""Every row of the contract's error table, for both media types where the row applies."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.fixtures.app import AppFactory, InProcessClient
from tests.support import assert_error, data_url, source_png

MEDIA = ["json", "multipart"]
T2I = {"model": "eigen-image", "prompt": "a fox"}
EDIT = {"model": "eigen-image", "prompt": "winter", "mode": "image-editing"}
Uploads = list[tuple[str, bytes]]


def send(client: InProcessClient, media: str, params: dict[str, Any], uploads: Uploads | None = None) -> httpx.Response:
    """The same request as JSON (files as base64) or as multipart (scalars as text parts)."""
    uploads = uploads or []
    if media == "json":
        body = dict(params)
        for field, data in uploads:
            encoded = base64.b64encode(data).decode()
            if field == "images":
                body.setdefault("images", []).append(encoded)
            else:
                body[field] = encoded
        return client.generate(json=body)
    parts: list[tuple[str, Any]] = [(k, (None, _text(v))) for k, v in params.items()]
    parts += [(field, (f"{field}.png", data, "image/png")) for field, data in uploads]
    return client.generate(files=parts)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (IHDR patched, CRC fixed)."""
    data = bytearray(source_png())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


# (id, params, uploads, status, code, param) — sent through both media types.
BOTH: list[tuple[str, dict[str, Any], Uploads, str, str | None]] = [
    ("no-prompt", {"model": "eigen-image"}, [], "missing_parameter", "prompt"),
    ("no-model", {"prompt": "p"}, [], "missing_parameter", "model"),
    ("width-low", {**T2I, "width": 511}, [], "invalid_parameter", "width"),
    ("height-high", {**T2I, "height": 2049}, [], "invalid_parameter", "height"),
    ("seed-negative", {**T2I, "seed": -1}, [], "invalid_parameter", "seed"),
    ("seed-too-big", {**T2I, "seed": 2**32}, [], "invalid_parameter", "seed"),
    ("bad-mode", {**T2I, "mode": "inpainting"}, [], "invalid_parameter", "mode"),
    ("bad-format", {**T2I, "output_format": "gif"}, [], "invalid_parameter", "output_format"),
    ("empty-prompt", {**T2I, "prompt": ""}, [], "invalid_parameter", "prompt"),
    ("long-prompt", {**T2I, "prompt": "x" * 10_001}, [], "invalid_parameter", "prompt"),
    ("steps-zero", {**T2I, "num_inference_steps": 0}, [], "invalid_parameter", "num_inference_steps"),
    ("bad-image-path", {**EDIT, "image_path": "ftp://host/a.png"}, [], "invalid_parameter", "image_path"),
    ("unknown-model", {**T2I, "model": "sdxl"}, [], "unknown_model", "model"),
    ("size", {**T2I, "size": "1024x1024"}, [], "unsupported_parameter", "size"),
    ("unknown-name", {**T2I, "colour": "red"}, [], "unsupported_parameter", "colour"),
    (
        "model-lacks-param",
        {**T2I, "model": "qwen-image", "lora_strength": 1},
        [],
        "unsupported_parameter",
        "lora_strength",
    ),
    ("width-when-editing", {**EDIT, "width": 512}, [("image_file", source_png())], "unsupported_parameter", "width"),
    (
        "source-in-t2i",
        {**T2I, "mode": "text-to-image"},
        [("image_file", source_png())],
        "unsupported_parameter",
        "image_file",
    ),
    (
        "mode-not-offered",
        {**T2I, "model": "qwen-image", "mode": "image-editing"},
        [("image", source_png())],
        "unsupported_parameter",
        "mode",
    ),
    ("edit-without-source", EDIT, [], "missing_source_image", None),
    ("edit-only-model-no-source", {"model": "qwen-image-edit-2511", "prompt": "p"}, [], "missing_source_image", None),
    (
        "two-source-fields",
        {**EDIT, "image_path": data_url(source_png())},
        [("image_file", source_png())],
        "conflicting_source_images",
        "image_path",
    ),
    ("too-many-images", EDIT, [("images", source_png())] * 2, "conflicting_source_images", "images"),
    (
        "ten-images",
        {**EDIT, "model": "qwen-image-edit-2511"},
        [("images", source_png())] * 10,
        "conflicting_source_images",
        "images",
    ),
    ("garbage-image", EDIT, [("image_file", b"not an image at all")], "invalid_image", "image_file"),
    ("gif-image", EDIT, [("image", gif_bytes())], "invalid_image", "image"),
    ("truncated-png", EDIT, [("image_file", source_png()[:200])], "invalid_image", "image_file"),
    ("decompression-bomb", EDIT, [("image_file", bomb_png())], "invalid_image", "image_file"),
    ("s3-path-not-s3", {**T2I, "s3_output_path": "https://bucket/key.png"}, [], "invalid_s3_path", "s3_output_path"),
    ("s3-bad-bucket", {**T2I, "s3_output_path": "s3://Bad_Bucket/key.png"}, [], "invalid_s3_path", "s3_output_path"),
    ("s3-empty-key", {**T2I, "s3_output_path": "s3://bucket/"}, [], "invalid_s3_path", "s3_output_path"),
    (
        "http-host-not-allowed",
        {**EDIT, "image_path": "https://example.com/a.png"},
        [],
        "source_unavailable",
        "image_path",
    ),
    ("s3-source-without-s3", {**EDIT, "image_path": "s3://bucket/a.png"}, [], "source_unavailable", "image_path"),
    ("local-path-without-root", {**EDIT, "image_path": "/etc/passwd"}, [], "source_unavailable", "image_path"),
]


@pytest.mark.parametrize("media", MEDIA)
@pytest.mark.parametrize(
    ("params", "uploads", "code", "param"), [case[1:] for case in BOTH], ids=[case[0] for case in BOTH]
)
def test_bad_request_rows(
    client: InProcessClient, media: str, params: dict[str, Any], uploads: Uploads, code: str, param: str | None
) -> None:
    assert_error(send(client, media, params, uploads), 400, code, param)


JSON_ONLY = [
    ("not-json", b"{model: eigen-image", "invalid_json", None),
    ("json-array", b'["model"]', "invalid_json", None),
    ("nan", b'{"model": "eigen-image", "prompt": "p", "guidance_scale": NaN}', "invalid_json", None),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "invalid_json", None),
    ("not-utf8", b'{"model": "\xff\xfe", "prompt": "p"}', "invalid_json", None),
    ("seed-as-string", b'{"model": "eigen-image", "prompt": "p", "seed": "42"}', "invalid_parameter", "seed"),
    ("bool-as-int", b'{"model": "eigen-image", "prompt": "p", "width": true}', "invalid_parameter", "width"),
    (
        "null-value",
        b'{"model": "eigen-image", "prompt": "p", "negative_prompt": null}',
        "invalid_parameter",
        "negative_prompt",
    ),
    ("bad-base64", b'{"model": "eigen-image", "prompt": "p", "image_file": "%%%"}', "invalid_image", "image_file"),
]


@pytest.mark.parametrize(("body", "code", "param"), [case[1:] for case in JSON_ONLY], ids=[c[0] for c in JSON_ONLY])
def test_json_only_rows(client: InProcessClient, body: bytes, code: str, param: str | None) -> None:
    response = client.generate(content=body, headers={**client.headers, "Content-Type": "application/json"})
    assert_error(response, 400, code, param)


MULTIPART_ONLY: list[tuple[str, Callable[[InProcessClient], httpx.Response], str, str | None]] = [
    (
        "no-boundary",
        lambda c: c.generate(content=b"x", headers={**c.headers, "Content-Type": "multipart/form-data"}),
        "invalid_multipart",
        None,
    ),
    (
        "garbage-body",
        lambda c: c.generate(
            content=b"--b\r\nbad header\r\n\r\nx\r\n--b--\r\n",
            headers={**c.headers, "Content-Type": "multipart/form-data; boundary=b"},
        ),
        "invalid_multipart",
        None,
    ),
    (
        "truncated",
        lambda c: c.generate(
            content=b'--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nx',
            headers={**c.headers, "Content-Type": "multipart/form-data; boundary=b"},
        ),
        "invalid_multipart",
        None,
    ),
    (
        "seed-not-a-number",
        lambda c: c.generate(
            files=[("model", (None, "eigen-image")), ("prompt", (None, "p")), ("seed", (None, "forty-two"))]
        ),
        "invalid_parameter",
        "seed",
    ),
    (
        "bool-not-a-bool",
        lambda c: c.generate(
            files=[("model", (None, "eigen-image")), ("prompt", (None, "p")), ("real_time", (None, "maybe"))]
        ),
        "invalid_parameter",
        "real_time",
    ),
    (
        "repeated-scalar",
        lambda c: c.generate(
            files=[("model", (None, "eigen-image")), ("prompt", (None, "a")), ("prompt", (None, "b"))]
        ),
        "invalid_parameter",
        "prompt",
    ),
    (
        "file-for-scalar",
        lambda c: c.generate(files=[("model", (None, "eigen-image")), ("prompt", ("p.txt", b"p", "text/plain"))]),
        "invalid_parameter",
        "prompt",
    ),
    (
        "two-image-file-parts",
        lambda c: c.generate(
            files=[
                ("model", (None, "eigen-image")),
                ("prompt", (None, "p")),
                ("image_file", ("a.png", source_png(), "image/png")),
                ("image_file", ("b.png", source_png(), "image/png")),
            ]
        ),
        "conflicting_source_images",
        "image_file",
    ),
]


@pytest.mark.parametrize(("call", "code", "param"), [c[1:] for c in MULTIPART_ONLY], ids=[c[0] for c in MULTIPART_ONLY])
def test_multipart_only_rows(
    client: InProcessClient, call: Callable[[InProcessClient], httpx.Response], code: str, param: str | None
) -> None:
    assert_error(call(client), 400, code, param)


@pytest.mark.parametrize("media", MEDIA)
@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("Basic ZWlnZW4=", "invalid_api_key"),
        ("Bearer", "invalid_api_key"),
        ("Bearer sk-wrong-secret-123", "invalid_api_key"),
        ("eigen-mock-key", "invalid_api_key"),
    ],
    ids=["absent", "empty", "basic", "no-token", "wrong-key", "no-scheme"],
)
def test_auth_rows(shared_app: Any, media: str, authorization: str | None, code: str) -> None:
    client = InProcessClient(shared_app, {} if authorization is None else {"Authorization": authorization})
    response = send(client, media, T2I)
    body = assert_error(response, 401, code, None)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "sk-wrong-secret-123" not in response.text and "sk-wrong-secret-123" not in str(body)


def test_bearer_scheme_is_case_insensitive(shared_app: Any) -> None:
    client = InProcessClient(shared_app, {"Authorization": "bearer eigen-mock-key"})
    assert client.generate(json=T2I).status_code == 200


def test_unknown_path_is_404(client: InProcessClient) -> None:
    paths = [
        ("GET", "/"),
        ("POST", "/api/v1/generat"),
        ("GET", "/_mock/nothing"),
        ("POST", "/api/v2/x"),
        ("POST", "/api/v1/generate/"),
        ("PUT", "/api/v1/generate/x"),
    ]
    for method, path in paths:
        response = client.request(method, path, json={"model": "eigen-image", "prompt": "p"})
        body = assert_error(response, 404, "not_found", None)
        assert path in body["error"]["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow(client: InProcessClient, method: str) -> None:
    response = client.request(method, "/api/v1/generate")
    assert_error(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "POST"


def test_body_over_the_limit_is_413(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory(max_body_bytes=2048))
    assert_error(client.generate(json={**T2I, "prompt": "x" * 4000}), 413, "payload_too_large", None)
    big = [
        ("model", (None, "eigen-image")),
        ("prompt", (None, "p")),
        ("image_file", ("a.png", b"0" * 4096, "image/png")),
    ]
    assert_error(client.generate(files=big), 413, "payload_too_large", None)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "image/png"])
def test_other_media_types_are_415(client: InProcessClient, content_type: str | None) -> None:
    headers = {**client.headers, **({"Content-Type": content_type} if content_type else {})}
    assert_error(client.generate(content=b"model=eigen-image", headers=headers), 415, "unsupported_media_type", None)


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("429", 429, "rate_limited"),
        ("500", 500, "internal_error"),
        ("502", 502, "storage_error"),
        ("503", 503, "model_unavailable"),
        ("504", 504, "generation_timeout"),
        ("model_unavailable", 503, "model_unavailable"),
    ],
)
def test_injected_faults_use_the_error_shape(client: InProcessClient, fault: str, status: int, code: str) -> None:
    response = client.generate(json=T2I, headers={**client.headers, "X-Mock-Fault": fault})
    assert_error(response, status, code, None)
    if status == 429:
        assert int(response.headers["retry-after"]) >= 0


def test_s3_output_without_s3_is_502(client: InProcessClient) -> None:
    response = client.generate(json={**T2I, "s3_output_path": "s3://eigen-mock/out.png"})
    assert_error(response, 502, "storage_error", "s3_output_path")
