"""Helpers shared by test modules: building requests, decoding images, checking the spec's shapes."""

from __future__ import annotations

import base64
import hashlib
import io
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from PIL import Image

from mock_server import resources
from mock_server.generation.library import Catalog
from mock_server.spec import SPEC_URI, Spec

IMAGES = Path(__file__).resolve().parent.parent / "fixtures" / "images"


@cache
def spec() -> Spec:
    return Spec.load()


@cache
def catalog() -> Catalog:
    return Catalog.load(resources.models_path())


def source_png() -> bytes:
    return (IMAGES / "source.png").read_bytes()


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def assert_schema(document: Any, schema_name: str) -> None:
    """``document`` matches ``#/components/schemas/<schema_name>`` of the spec."""
    reference = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    validator = Draft202012Validator(reference, registry=spec().registry)
    errors = [error.message for error in validator.iter_errors(document)]
    assert not errors, errors


def assert_error(response: httpx.Response, status: int, code: str, param: str | None = "<any>") -> dict[str, Any]:
    """The contract's error shape with this status and code (and param, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert_schema(body, "ErrorResponse")
    assert body["error"]["code"] == code, body
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    if param != "<any>":
        assert body["error"]["param"] == param, body
    return body


def image_of(response: httpx.Response) -> tuple[bytes, Image.Image]:
    """The image bytes of a success response (JSON or binary), decoded and checked."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"] == "application/json":
        data = base64.b64decode(response.json()["image_base64"], validate=True)
    else:
        data = response.content
    image = Image.open(io.BytesIO(data))
    image.load()
    return data, image


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def models_with(mode: str) -> list[str]:
    return [name for name, model in sorted(catalog().models.items()) if mode in model.modes]


def form(**fields: object) -> list[tuple[str, tuple[None, str]]]:
    """Text-only multipart parts (httpx sends ``data=`` alone as urlencoded, which is a 415)."""
    return [(name, (None, str(value))) for name, value in fields.items()]
