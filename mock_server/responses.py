"""Serialising generations and errors into HTTP responses."""

from __future__ import annotations

import json

from starlette.responses import Response

from .backend import Generation
from .errors import EigenMockError, render_error


def generation_response(generation: Generation) -> Response:
    if generation.plan.binary_response:
        return binary_response(generation)
    body = json.dumps(generation.to_json(), separators=(",", ":")).encode()
    return Response(body, media_type="application/json", headers={"X-Request-Id": generation.request_id})


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
