"""The one error tree of the mock, rendered in one place.

Every error a client can see is an ``EigenMockError``; its class fixes the HTTP status and
the machine-readable ``code`` of the contract's error table::

    EigenMockError
    ├── BadRequest (400)
    │   ├── InvalidJson, InvalidMultipart
    │   ├── MissingParameter, InvalidParameter, UnsupportedParameter, UnknownModel
    │   ├── MissingSourceImage, ConflictingSourceImages, InvalidImage
    │   └── InvalidS3Path, SourceUnavailable
    ├── Unauthorized (401): MissingApiKey, InvalidApiKey
    ├── NotFound (404), MethodNotAllowed (405), PayloadTooLarge (413), UnsupportedMediaType (415)
    ├── RateLimited (429)
    ├── InternalError (500), StorageError (502), ModelUnavailable (503), GenerationTimeout (504)

``render_error`` turns any of them into the contract's JSON body and headers.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar


class EigenMockError(Exception):
    """Base of every client-visible error: ``status`` and ``code`` are class attributes."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, param={self.param!r})"

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "param": self.param, "request_id": request_id}}


class BadRequest(EigenMockError):
    status = 400
    code = "invalid_parameter"


class InvalidJson(BadRequest):
    code = "invalid_json"


class InvalidMultipart(BadRequest):
    code = "invalid_multipart"


class MissingParameter(BadRequest):
    code = "missing_parameter"


class InvalidParameter(BadRequest):
    code = "invalid_parameter"


class UnsupportedParameter(BadRequest):
    code = "unsupported_parameter"


class UnknownModel(BadRequest):
    code = "unknown_model"


class MissingSourceImage(BadRequest):
    code = "missing_source_image"


class ConflictingSourceImages(BadRequest):
    code = "conflicting_source_images"


class InvalidImage(BadRequest):
    code = "invalid_image"


class InvalidS3Path(BadRequest):
    code = "invalid_s3_path"


class SourceUnavailable(BadRequest):
    code = "source_unavailable"


class Unauthorized(EigenMockError):
    status = 401
    code = "invalid_api_key"

    def __init__(self, message: str, param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, param, {"WWW-Authenticate": "Bearer", **(headers or {})})


class MissingApiKey(Unauthorized):
    code = "missing_api_key"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class NotFound(EigenMockError):
    status = 404
    code = "not_found"


class MethodNotAllowed(EigenMockError):
    status = 405
    code = "method_not_allowed"


class PayloadTooLarge(EigenMockError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(EigenMockError):
    status = 415
    code = "unsupported_media_type"


class Forbidden(EigenMockError):
    """The control plane only (not a code of the public contract, so not a fault to inject): a
    request from a foreign ``Host`` or ``Origin``."""

    status = 403
    code = "forbidden"


class RateLimited(EigenMockError):
    status = 429
    code = "rate_limited"


class InternalError(EigenMockError):
    status = 500
    code = "internal_error"


class StorageError(EigenMockError):
    status = 502
    code = "storage_error"


class ModelUnavailable(EigenMockError):
    status = 503
    code = "model_unavailable"


class GenerationTimeout(EigenMockError):
    status = 504
    code = "generation_timeout"


#: Every concrete error class, keyed by its code (fault injection and tests look codes up here).
ERRORS_BY_CODE: dict[str, type[EigenMockError]] = {
    cls.code: cls
    for cls in (
        InvalidJson,
        InvalidMultipart,
        MissingParameter,
        InvalidParameter,
        UnsupportedParameter,
        UnknownModel,
        MissingSourceImage,
        ConflictingSourceImages,
        InvalidImage,
        InvalidS3Path,
        SourceUnavailable,
        MissingApiKey,
        InvalidApiKey,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
        RateLimited,
        InternalError,
        StorageError,
        ModelUnavailable,
        GenerationTimeout,
    )
}

#: The error class used when a status (not a code) is asked for, e.g. by fault injection.
ERRORS_BY_STATUS: dict[int, type[EigenMockError]] = {
    400: InvalidParameter,
    401: InvalidApiKey,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: RateLimited,
    500: InternalError,
    502: StorageError,
    503: ModelUnavailable,
    504: GenerationTimeout,
}


def render_error(error: EigenMockError, request_id: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, JSON body and headers of the contract's error shape for ``error``."""
    body = json.dumps(error.body(request_id), separators=(",", ":")).encode()
    return error.status, body, {"X-Request-Id": request_id, **error.headers}
