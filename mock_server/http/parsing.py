"""Turning an HTTP body into a ``RawRequest``: size limit, media type, JSON or multipart.

Multipart is parsed by python-multipart through Starlette; JSON by the standard library with
NaN/Infinity refused (they are not JSON). Either way a string holding an unpaired surrogate is
refused here, for every field (``surrogates.py``), so nothing later has to cope with one.
"""

from __future__ import annotations

import json
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from mock_server import surrogates
from mock_server.datatypes import RawRequest, Upload
from mock_server.errors import (
    InvalidJson,
    InvalidMultipart,
    InvalidParameter,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from mock_server.http.headers import headers_of
from mock_server.spec import FILE_PARAMETERS, MediaKind

_MAX_PARTS = 64


def media_kind(content_type: str | None) -> MediaKind:
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    if essence == "application/json" or (essence.startswith("application/") and essence.endswith("+json")):
        return "json"
    if essence == "multipart/form-data":
        return "multipart"
    shown = essence or "no Content-Type"
    raise UnsupportedMediaType(f"{shown} is not supported: send application/json or multipart/form-data")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it passes ``limit`` bytes."""
    declared = headers_of(request.scope).get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    # ASGI messages read directly: ``Request.stream()`` is an async generator, and setting one up
    # and tearing it down costs more than the rest of reading a small JSON body.
    chunks = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)  # one chunk: joining returns it, no copy


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")


def parse_json(body: bytes) -> RawRequest:
    try:
        # What json.loads(body, parse_constant=...) does, without making a decoder per call.
        text = body.decode(json.detect_encoding(body), "surrogatepass")
        document = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"the body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(document, dict):
        raise InvalidJson("the request body must be a JSON object")
    # A lone surrogate comes from a \u escape or from surrogate bytes let through above: a body with
    # neither holds none, and skips the walk over its fields.
    if "\\u" not in text and surrogates.is_text(text):
        return RawRequest("json", document)
    return RawRequest("json", only_text(document))


def only_text(document: dict[str, Any]) -> dict[str, Any]:
    """``document``, unless one of its strings holds an unpaired surrogate: a ``400`` naming the field
    (``invalid_parameter``), or ``invalid_json`` when it is in a field's name."""
    field, found = surrogates.find(document)
    if not found:
        return document
    if field is None:
        raise InvalidJson("a field name holds an unpaired UTF-16 surrogate escape, which is not text")
    raise InvalidParameter(f"{field[:60]} holds an unpaired UTF-16 surrogate escape, which is not text", param=field)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


async def parse_multipart(request: Request, body: bytes, max_part_bytes: int) -> RawRequest:
    _check_complete(headers_of(request.scope).get("content-type", ""), body)
    replay = Request(request.scope, _replay(body))
    try:
        form = await replay.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS, max_part_size=max_part_bytes)
    except Exception as exc:  # any parser failure is the client's malformed body
        raise InvalidMultipart(f"the multipart body cannot be parsed: {_detail(exc)}") from None
    try:
        return await _collect(form.multi_items())
    finally:
        await form.close()


def _check_complete(content_type: str, body: bytes) -> None:
    """python-multipart silently drops a truncated last part; a body must end with its closing delimiter."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidMultipart("the multipart Content-Type has no boundary parameter")
    if b"--" + boundary + b"--" not in body:
        raise InvalidMultipart("the multipart body is truncated: its closing boundary is missing")


def _detail(exc: Exception) -> str:
    return str(getattr(exc, "detail", None) or getattr(exc, "message", None) or exc or type(exc).__name__)[:200]


async def _collect(items: list[tuple[str, UploadFile | str]]) -> RawRequest:
    params: dict[str, Any] = {}
    uploads: list[Upload] = []
    for name, value in items:
        if name in FILE_PARAMETERS:
            uploads.append(await _upload(name, value))
        elif isinstance(value, UploadFile):
            raise InvalidParameter(f"{name} must be a text part, not a file", param=name)
        elif name in params:
            raise InvalidParameter(f"{name} was sent more than once", param=name)
        else:
            params[name] = value
    return RawRequest("multipart", only_text(params), tuple(uploads))


async def _upload(name: str, value: UploadFile | str) -> Upload:
    if isinstance(value, UploadFile):
        return Upload(name, value.filename, value.content_type, await value.read())
    # A text part: Starlette decoded it as UTF-8 or, failing that, latin-1; undo whichever it was.
    try:
        data = value.encode("latin-1")
    except UnicodeEncodeError:
        data = value.encode("utf-8")
    return Upload(name, None, None, data)


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
