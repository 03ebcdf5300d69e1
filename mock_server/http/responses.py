"""Serialising generations and errors into HTTP responses."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mock_server.errors import EigenMockError, render_error
from mock_server.generation.generator import Generation
from mock_server.imaging.renderer import base64_parts


def response_body(generation: Generation) -> bytes:
    """The body ``generation_response`` sends, made again (for the HAR export)."""
    return generation.image.data if generation.plan.binary_response else json_body(generation)


def generation_response(generation: Generation) -> Response:
    if generation.plan.binary_response:
        return binary_response(generation)
    body = json_body(generation)
    return _Answer(
        body,
        [
            (b"x-request-id", generation.request_id.encode()),
            (b"content-length", int.__repr__(len(body)).encode()),
            _JSON_TYPE,
        ],
    )


_JSON_TYPE = (b"content-type", b"application/json")


class _Answer(Response):
    """A 200 response with its header list given whole: ``Response.__init__`` would lower-case,
    encode and scan the same three headers on every request (measured in benchmarks/notes.md)."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


class NoAnswer(Response):
    """Sends nothing: for a client that is gone (uvicorn closes the connection without a word)."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


def _json(value: Any) -> bytes:
    """``json.dumps(value)`` for the small fields of a response, without building an encoder for each
    of the dozen fields a response has (each dumps call builds one)."""
    if isinstance(value, str):
        return encode_basestring_ascii(value).encode()
    if value is True or value is False or value is None:
        return _CONSTANTS[value]
    if type(value) is int:
        return int.__repr__(value).encode()
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value).encode()
    return json.dumps(value, separators=(",", ":")).encode()


_CONSTANTS = {True: b"true", False: b"false", None: b"null"}


def json_body(generation: Generation) -> bytes:
    """The bytes of ``json.dumps(generation.to_json())``, made without passing the image through json.

    The base64 text is most of the body and appears twice (``image_base64`` and the model's own
    field); json.dumps would scan every character of it for escapes, which base64 never needs,
    and that scan cost more than rendering the image. So the pieces of the base64 text (made once
    per image, see ``base64_parts``) are spliced between the other members: the body is made with
    one copy of each piece. What lies between the request id and the time is the same in every
    answer of a generation and is kept with it (``Generation.shared``); the members that are the
    same for every seed of a plan are encoded once per plan (``_frame``).
    """
    pieces = generation.shared.get(_PIECES)
    if pieces is None:  # a race only makes the same pieces twice
        pieces = generation.shared[_PIECES] = _pieces(generation)
    return b"".join(
        [b'{"request_id":', _json(generation.request_id), *pieces, int.__repr__(generation.created).encode(), b"}"]
    )


_PIECES = "json_body"


def _pieces(generation: Generation) -> tuple[bytes, ...]:
    """The body between the request id and the time, in pieces."""
    image = generation.image
    plan = generation.plan
    encoded = base64_parts(image)
    s3 = None if plan.s3_output is None else str(plan.s3_output)
    # Types in the key: 1, 1.0 and True are equal keys, but not the same JSON.
    extra = tuple((name, type(value), value) for name, value in generation.extra.items())
    facts = (
        plan.model_id,
        plan.mode,
        image.width,
        image.height,
        image.output_format,
        plan.response_field,
        s3,
        generation.processing_time_seconds,
        extra,
    )
    try:
        frame = _frame(*facts)
    except TypeError:  # an extra field's value that cannot be a cache key (a list): encoded afresh
        frame = _frame.__wrapped__(*facts)
    second = () if frame.between is None else (frame.between, *encoded)
    return (
        frame.before_seed,
        _json(generation.seed),
        frame.before_image,
        *encoded,
        *second,
        b'","image_sha256":',
        _json(image.sha256),
        frame.after,
    )


@dataclass(frozen=True, slots=True)
class _Frame:
    """A JSON body's members that are the same for every seed of a plan, up to ``"created":``."""

    before_seed: bytes  #: ``,"model":…,"mode":…,"seed":``
    before_image: bytes  #: ``,"width":…,"output_format":…,"image_base64":"``
    between: bytes | None  #: ``","<the model's field>":"``, ``None`` when that field is ``image_base64``
    after: bytes  #: ``,"s3_output_path":…,<extra>,"processing_time_seconds":…,"created":``


@lru_cache(maxsize=256, typed=True)
def _frame(
    model_id: str,
    mode: str,
    width: int,
    height: int,
    output_format: str,
    response_field: str,
    s3: str | None,
    seconds: float,
    extra: tuple[tuple[str, type, Any], ...],
) -> _Frame:
    tail: dict[str, Any] = {}
    if s3 is not None:
        tail["s3_output_path"] = s3
    tail.update((name, value) for name, _, value in extra)
    tail["processing_time_seconds"] = seconds
    return _Frame(
        before_seed=b"," + _members([("model", model_id), ("mode", mode)]) + b',"seed":',
        before_image=b","
        + _members([("width", width), ("height", height), ("output_format", output_format)])
        + b',"image_base64":"',
        between=None if response_field == "image_base64" else b'",' + _json(response_field) + b':"',
        after=b"," + _members(tail.items()) + b',"created":',
    )


def _members(items: Iterable[tuple[str, Any]]) -> bytes:
    return b",".join(_name(name) + _json(value) for name, value in items)


@lru_cache(maxsize=64)
def _name(name: str) -> bytes:
    """A member's name and its colon: the same dozen names in every response."""
    return _json(name) + b":"


def binary_response(generation: Generation) -> Response:
    image = generation.image
    extension = image.output_format
    headers = {
        "X-Request-Id": generation.request_id,
        "X-Seed": str(generation.seed),
        "X-Image-Sha256": image.sha256,
        "X-Processing-Time-Seconds": str(generation.processing_time_seconds),
        "Content-Disposition": f'inline; filename="{generation.request_id}.{extension}"',
    }
    return Response(image.data, media_type=image.media_type, headers=headers)


def error_response(error: EigenMockError, request_id: str) -> Response:
    status, body, headers = render_error(error, request_id)
    # Answered, the error needs its traceback no more; kept, it would hold every frame the error
    # passed through, and a frame that holds the error (a parse problem carried to the answer, an
    # injected fault's error) makes a cycle only the garbage collector frees.
    error.__traceback__ = None
    return Response(body, status_code=status, media_type="application/json", headers=headers)
