"""A request and a response as a planted bug sees them: bytes on the wire, with small edit helpers.

Just enough HTTP to break a server in one realistic place: read or replace one parameter (JSON
or multipart text part), one header, or the returned image while keeping the rest consistent
(so each broken server is wrong in exactly one way).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

Headers = list[tuple[bytes, bytes]]
DROP = object()
_NAME = re.compile(rb'name="([^"]*)"')
_SOURCE_FIELDS = ("image_file", "image", "images", "image_path")


def header(headers: Headers, name: str) -> str | None:
    wanted = name.lower().encode()
    return next((value.decode("latin-1") for key, value in headers if key.lower() == wanted), None)


def with_header(headers: Headers, name: str, value: str | None) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() != name.lower().encode()]
    return kept if value is None else [*kept, (name.lower().encode(), value.encode("latin-1"))]


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    headers: Headers
    body: bytes

    @property
    def content_type(self) -> str:
        return (header(self.headers, "content-type") or "").lower()

    @property
    def json(self) -> dict[str, Any] | None:
        if not self.content_type.startswith("application/json"):
            return None
        try:
            document = json.loads(self.body)
        except (ValueError, RecursionError):  # too deeply nested: the app behind refuses it as invalid JSON
            return None
        return document if isinstance(document, dict) else None

    @property
    def _boundary(self) -> bytes | None:
        found = re.search(r"boundary=([^;]+)", self.content_type)
        return found.group(1).strip('"').encode() if self.content_type.startswith("multipart/") and found else None

    def _parts(self) -> list[bytes]:
        boundary = self._boundary
        return self.body.split(b"--" + boundary)[1:-1] if boundary else []

    def names(self) -> list[str]:
        if self.json is not None:
            return list(self.json)
        return [
            found.group(1).decode() for part in self._parts() if (found := _NAME.search(part.split(b"\r\n\r\n")[0]))
        ]

    def param(self, name: str) -> Any:
        """A JSON value, or a multipart text part's text (``None`` when absent)."""
        if self.json is not None:
            return self.json.get(name)
        for part in self._parts():
            head, _, content = part.partition(b"\r\n\r\n")
            found = _NAME.search(head)
            if found and found.group(1).decode() == name and b"filename=" not in head:
                return content[:-2].decode("utf-8", "replace")
        return None

    def fields(self) -> list[tuple[str, bytes]]:
        """Every parameter and part as ``(name, raw value)``, in either media type (a cache key's stuff)."""
        document = self.json
        if document is not None:
            return [(name, json.dumps(value, sort_keys=True).encode()) for name, value in document.items()]
        return [
            (found.group(1).decode(), part.partition(b"\r\n\r\n")[2])
            for part in self._parts()
            if (found := _NAME.search(part.partition(b"\r\n\r\n")[0]))
        ]

    def keeping_first(self, name: str) -> Sent:
        """Only the first part (or JSON list item) called ``name``: what a server reading one value sees."""
        document = self.json
        if document is not None:
            value = document.get(name)
            return self.with_param(name, value[:1]) if isinstance(value, list) else self
        boundary = self._boundary
        if boundary is None:
            return self
        parts, seen = [], False
        for part in self._parts():
            if _is_part(part, name):
                if seen:
                    continue
                seen = True
            parts.append(part)
        delimiter = b"--" + boundary
        return self._with_body(delimiter + delimiter.join(parts) + delimiter + b"--\r\n")

    def file_parts(self, name: str) -> list[bytes]:
        """The contents of the file parts (or JSON base64 items) called ``name``."""
        document = self.json
        if document is not None:
            value = document.get(name)
            items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
            return [base64.b64decode(item) for item in items if isinstance(item, str)]
        return [part.partition(b"\r\n\r\n")[2][:-2] for part in self._parts() if _is_part(part, name)]

    @property
    def has_source(self) -> bool:
        return any(name in _SOURCE_FIELDS for name in self.names())

    def with_param(self, name: str, value: Any) -> Sent:
        """Set (or, with ``DROP``, remove) one parameter in either media type."""
        document = self.json
        if document is not None:
            document = {k: v for k, v in document.items() if k != name}
            if value is not DROP:
                document[name] = value
            return self._with_body(json.dumps(document).encode())
        boundary = self._boundary
        if boundary is None:
            return self
        parts = [part for part in self._parts() if not _is_part(part, name)]
        if value is not DROP:
            text = value if isinstance(value, str) else json.dumps(value)
            parts.append(f'\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{text}\r\n'.encode())
        delimiter = b"--" + boundary
        return self._with_body(delimiter + delimiter.join(parts) + delimiter + b"--\r\n")

    def with_body(self, body: bytes) -> Sent:
        return self._with_body(body)

    def _with_body(self, body: bytes) -> Sent:
        return replace(self, body=body, headers=with_header(self.headers, "content-length", str(len(body))))


def _is_part(part: bytes, name: str) -> bool:
    found = _NAME.search(part.partition(b"\r\n\r\n")[0])
    return bool(found and found.group(1).decode() == name)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Headers
    body: bytes

    @property
    def json(self) -> dict[str, Any] | None:
        if not (header(self.headers, "content-type") or "").startswith("application/json"):
            return None
        document = json.loads(self.body)
        return document if isinstance(document, dict) else None

    @property
    def binary(self) -> bool:
        return self.status == 200 and self.json is None

    @property
    def image(self) -> bytes:
        document = self.json
        return self.body if document is None else base64.b64decode(document["image_base64"])

    def with_json(self, document: dict[str, Any]) -> Answer:
        return self.with_body(json.dumps(document).encode())

    def with_body(self, body: bytes) -> Answer:
        return replace(self, body=body, headers=with_header(self.headers, "content-length", str(len(body))))

    def with_header(self, name: str, value: str | None) -> Answer:
        return replace(self, headers=with_header(self.headers, name, value))

    def with_image(self, data: bytes) -> Answer:
        """Another image in place of the returned one, with its SHA-256 and alias fields kept consistent."""
        digest = hashlib.sha256(data).hexdigest()
        document = self.json
        if document is None:
            return self.with_body(data).with_header("x-image-sha256", digest)
        old, new = document["image_base64"], base64.b64encode(data).decode()
        document = {key: new if value == old else value for key, value in document.items()}
        return self.with_json({**document, "image_sha256": digest})


def error_answer(status: int, code: str, message: str) -> Answer:
    """An error in the contract's shape, as a broken server might produce it itself."""
    request_id = "gen_" + "0" * 32
    body = {"error": {"code": code, "message": message, "param": None, "request_id": request_id}}
    return Answer(
        status, [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())], b""
    ).with_json(body)
