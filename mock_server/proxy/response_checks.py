"""Does an answer keep the spec? The response side of the validation proxy. No HTTP here.

Checks, against ``openapi/eigen.yaml`` itself: the status is one the operation declares (or the
404/405 the contract gives other paths and methods), the headers it marks required and
``X-Request-Id`` are present, the content type is declared for that status, a JSON body
validates against the declared schema, an image body is what its content type says and matches
its ``X-Image-Sha256``/``image_sha256``, and no request the spec rejects was answered with success.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from mock_server.spec import OPERATION_PATH, SPEC_URI, Spec

_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class ResponseChecker:
    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._declared: dict[str, Any] = spec.document["paths"][OPERATION_PATH]["post"]["responses"]
        self._validators: dict[tuple[int, str], Draft202012Validator] = {}

    def check(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes, *, request_valid: bool
    ) -> list[str]:
        """The spec's objections to this answer (``headers`` by lower-case name); empty if none."""
        problems = [] if "x-request-id" in headers else ["X-Request-Id is missing"]
        expected = 404 if path != OPERATION_PATH else 405 if method != "POST" else None
        if expected is not None and status != expected:
            problems.append(f"{method} {path} is not an operation of the spec: expected {expected}, got {status}")
        if status < 400 and not request_valid:
            problems.append(f"answered {status} to a request the spec rejects")
        if str(status) not in self._declared:
            return [*problems, f"status {status} is not declared by the spec"]
        return problems + self._check_declared(status, headers, body)

    def _check_declared(self, status: int, headers: Mapping[str, str], body: bytes) -> list[str]:
        response = self._spec.resolve(self._declared[str(status)])
        problems = [f"{name} is required on a {status} and missing"
                    for name, header in response.get("headers", {}).items()
                    if self._spec.resolve(header).get("required") and name.lower() not in headers]
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        content = response.get("content", {})
        if content and media not in content:
            return [*problems, f"Content-Type {media or '(none)'} is not declared for {status} "
                               f"(declared: {', '.join(sorted(content))})"]
        if media == "application/json":
            return problems + self._check_json(status, content[media], body)
        if media in _MAGIC:
            return problems + _check_image(media, headers, body)
        return problems

    def _check_json(self, status: int, content: Mapping[str, Any], body: bytes) -> list[str]:
        try:
            document = json.loads(body)
        except ValueError:
            return ["the body is not valid JSON"]
        errors = sorted(self._validator(status, content).iter_errors(document), key=lambda error: error.path)
        problems = [f"body{_where(error.absolute_path)}: {error.message[:200]}" for error in errors[:5]]
        if not problems and isinstance(document, dict) and "image_base64" in document:
            problems += _check_json_image(document)
        return problems

    def _validator(self, status: int, content: Mapping[str, Any]) -> Draft202012Validator:
        key = (status, "application/json")
        if key not in self._validators:
            schema = dict(content.get("schema", {}))
            if str(schema.get("$ref", "")).startswith("#"):
                schema = {"$ref": SPEC_URI + schema["$ref"]}  # resolve against the spec document
            self._validators[key] = Draft202012Validator(schema, registry=self._spec.registry)
        return self._validators[key]


def _where(path: Any) -> str:
    return "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in path)


def _check_image(media: str, headers: Mapping[str, str], body: bytes) -> list[str]:
    problems = [] if body.startswith(_MAGIC[media]) else [f"the body is not a {media} file"]
    declared = headers.get("x-image-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        problems.append("X-Image-Sha256 is not the SHA-256 of the body")
    return problems


def _check_json_image(document: Mapping[str, Any]) -> list[str]:
    try:
        image = base64.b64decode(document["image_base64"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        return ["image_base64 is not base64"]
    if document.get("image_sha256") not in (None, hashlib.sha256(image).hexdigest()):
        return ["image_sha256 is not the SHA-256 of the decoded image_base64"]
    return []
