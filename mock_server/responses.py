"""Serialising generations and errors into HTTP responses."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
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
    and that scan cost more than rendering the image. So the small fields are encoded one by one
    and the pieces of the base64 text (made once per image, see ``base64_parts``) are spliced in
    between: the body is made with one copy of each.
    """
    image, plan = generation.image, generation.plan
    encoded = base64_parts(image)
    fields: list[tuple[str, Any]] = [
        ("request_id", generation.request_id), ("model", plan.model_id), ("mode", plan.mode),
        ("seed", generation.seed), ("width", image.width), ("height", image.height),
        ("output_format", image.output_format),
    ]  # fmt: skip
    parts = [b"{", _members(fields)]
    for name in dict.fromkeys(("image_base64", plan.response_field)):  # one key when the field is image_base64
        parts += [b",", _json(name), b':"', *encoded, b'"']
    tail: dict[str, Any] = {"image_sha256": image.sha256}
    if plan.s3_output is not None:
        tail["s3_output_path"] = str(plan.s3_output)
    tail.update(generation.extra)
    tail["processing_time_seconds"] = generation.processing_time_seconds
    tail["created"] = generation.created
    parts += [b",", _members(tail.items()), b"}"]
    return b"".join(parts)


def _members(items: Iterable[tuple[str, Any]]) -> bytes:
    return b",".join(_json(name) + b":" + _json(value) for name, value in items)


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
