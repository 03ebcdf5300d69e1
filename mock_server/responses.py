"""Serialising generations and errors into HTTP responses."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from starlette.responses import Response

from .backend import Generation
from .errors import EigenMockError, render_error
from .imaging import base64_parts


def generation_response(generation: Generation) -> Response:
    if generation.plan.binary_response:
        return binary_response(generation)
    return Response(json_body(generation), media_type="application/json",
                    headers={"X-Request-Id": generation.request_id})  # fmt: skip


def _json(value: Any) -> bytes:
    """``json.dumps(value)`` for the small fields of a response, without building an encoder for each:
    a dumps call costs several microseconds here, and a response has a dozen fields."""
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
    per image, see ``base64_parts``) are spliced between the other members, which are encoded once
    per image and plan (``_framing``: a repeated request only adds its request id and time): the
    body is made with one copy of each piece.
    """
    image, plan = generation.image, generation.plan
    encoded = base64_parts(image)
    s3 = None if plan.s3_output is None else str(plan.s3_output)
    facts = (image.sha256, image.width, image.height, image.output_format, plan.model_id, plan.mode,
             plan.response_field, generation.seed, s3, generation.processing_time_seconds)  # fmt: skip
    # Types in the key: 1, 1.0 and True are equal keys, but not the same JSON.
    extra = tuple((name, type(value), value) for name, value in generation.extra.items())
    try:
        before, between, after = _framing(*facts, extra)
    except TypeError:  # an extra field's value that cannot be a cache key (a list): encoded afresh
        before, between, after = _framing.__wrapped__(*facts, extra)
    parts = [b'{"request_id":', _json(generation.request_id), before, *encoded]
    if between is not None:
        parts += [between, *encoded]
    parts += [after, int.__repr__(generation.created).encode(), b"}"]
    return b"".join(parts)


@lru_cache(maxsize=256, typed=True)
def _framing(
    sha256: str, width: int, height: int, output_format: str, model_id: str, mode: str, response_field: str,
    seed: int, s3: str | None, seconds: float, extra: tuple[tuple[str, type, Any], ...],
) -> tuple[bytes, bytes | None, bytes]:
    """Everything of a JSON body around the base64 text but the request id and the time: the
    members before the first copy, between the two (``None`` when the model's field is
    ``image_base64`` itself), and after the last, up to ``"created":``."""
    head = [("model", model_id), ("mode", mode), ("seed", seed), ("width", width), ("height", height),
            ("output_format", output_format)]  # fmt: skip
    tail: dict[str, Any] = {"image_sha256": sha256}
    if s3 is not None:
        tail["s3_output_path"] = s3
    tail.update((name, value) for name, _, value in extra)
    tail["processing_time_seconds"] = seconds
    before = b"," + _members(head) + b',"image_base64":"'
    between = None if response_field == "image_base64" else b'",' + _json(response_field) + b':"'
    return before, between, b'",' + _members(tail.items()) + b',"created":'


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
    return Response(body, status_code=status, media_type="application/json", headers=headers)
