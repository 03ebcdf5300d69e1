"""One request the suite sent and the response it got, parsed just enough to judge it.

Every request is recorded as it went over the wire (method, URL, headers, body bytes), so a
failure can be reproduced exactly (``engine/reproduce.py``) and judged against what was really sent,
whoever built it (the suite's own builders or Schemathesis).
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..library import FILE_FIELDS
from .images import DecodedImage, decode

#: A multipart text part that does not parse to its parameter's type.
INVALID = object()
_TRUE, _FALSE = "true", "false"


def media_of(content_type: str | None) -> str:
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    if essence == "application/json":
        return "json"
    if essence == "multipart/form-data":
        return "multipart"
    return essence or "none"


@dataclass(frozen=True)
class Part:
    name: str
    value: str | bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class _Message:
    """Headers and body bytes, with the little parsing both requests and responses need."""

    headers: Mapping[str, str]
    body: bytes = field(repr=False, default=b"")

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    @cached_property
    def media(self) -> str:
        return media_of(self.header("content-type"))

    @cached_property
    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object (``None`` when it is not one); the Content-Type is not trusted."""
        try:
            document = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return document if isinstance(document, dict) else None


@dataclass(frozen=True)
class SentRequest(_Message):
    method: str = "POST"
    url: str = ""

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        if self.media != "multipart":
            return ()
        head = f"Content-Type: {self.header('content-type')}\r\n\r\n".encode("latin-1", "replace")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        if not message.is_multipart():
            return ()
        return tuple(_part(item) for item in message.iter_parts())

    def params(self, types: Mapping[str, str]) -> dict[str, Any]:
        """Scalar parameters as the server should read them (``INVALID`` where a text part does not parse)."""
        if self.media == "json":
            return {k: v for k, v in (self.json or {}).items() if k not in FILE_FIELDS}
        found: dict[str, Any] = {}
        for part in self.parts:
            if part.filename is None and isinstance(part.value, str) and part.name not in FILE_FIELDS:
                found[part.name] = INVALID if part.name in found else _typed(part.value, types.get(part.name))
        return found

    def sources(self) -> list[tuple[str, bytes | str]]:
        """Editing sources as sent: ``(field, image bytes)`` or ``("image_path", reference)``."""
        found: list[tuple[str, bytes | str]] = []
        if self.media == "json" and self.json is not None:
            for name in ("image_file", "image"):
                if isinstance(self.json.get(name), str):
                    found.append((name, unbase64(self.json[name])))
            images = self.json.get("images")
            for item in images if isinstance(images, list) else []:
                found.append(("images", unbase64(item) if isinstance(item, str) else b""))
        for part in self.parts:
            if part.name in FILE_FIELDS:
                value = part.value if isinstance(part.value, bytes) else part.value.encode("utf-8")
                found.append((part.name, value))
        path = (self.json or {}).get("image_path") if self.media == "json" else self._text_part("image_path")
        if isinstance(path, str):
            found.append(("image_path", path))
        return found

    def _text_part(self, name: str) -> str | None:
        return next((p.value for p in self.parts if p.name == name and isinstance(p.value, str)), None)


def _part(item: Any) -> Part:
    name = item.get_param("name", header="content-disposition") or ""
    filename = item.get_filename()
    payload = item.get_payload(decode=True) or b""
    if filename is None and item.get_content_maintype() == "text":
        return Part(name, payload.decode("utf-8", "replace"))
    return Part(name, payload, filename, item.get_content_type())


# Twin of mock_server/generation/validation.py's _parse_text; keep both: the suite never imports mock_server.
def _typed(text: str, kind: str | None) -> Any:
    value = text.strip()
    try:
        if kind == "integer":
            return int(value, 10)
        if kind == "number":
            return float(value)
    except ValueError:
        return INVALID
    if kind == "boolean":
        return {_TRUE: True, _FALSE: False}.get(value.lower(), INVALID)
    return text


# Twin of mock_server/generation/sources.py's _from_data_url; keep both: the suite never imports mock_server.
def unbase64(text: str) -> bytes:
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


@dataclass(frozen=True)
class Received(_Message):
    status: int = 0

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object of an error body in the contract's shape, if it has one."""
        error = (self.json or {}).get("error")
        return error if isinstance(error, dict) else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def binary(self) -> bool:
        return self.ok and self.media not in ("json",)

    @cached_property
    def image(self) -> bytes | None:
        """The returned image bytes: the body of a binary response, or the JSON's ``image_base64``."""
        if not self.ok:
            return None
        if self.binary:
            return self.body
        encoded = (self.json or {}).get("image_base64")
        return unbase64(encoded) if isinstance(encoded, str) else None

    @cached_property
    def decoded(self) -> DecodedImage | None:
        return decode(self.image) if self.image is not None else None


@dataclass(frozen=True)
class Exchange:
    """A request, its response, and the check that sent it."""

    check: str
    sent: SentRequest
    received: Received
    #: when the response arrived (Unix seconds), to judge the times it reports
    at: float = field(default_factory=time.time)

    def describe(self) -> str:
        outcome = self.received.status or "no response"
        return f"{self.sent.method} {self.sent.url} ({self.sent.media}) -> {outcome}"
