"""Cassettes: recorded exchanges in a directory, written by ``eigen-mock record`` and read by
``eigen-mock serve --replay``. No HTTP here.

Layout::

    DIR/interactions/<time ns>-<key>.json   one exchange: the request (parameters, file hashes,
                                            headers with the key redacted), its matching key and
                                            the response (status, headers, body)
    DIR/blobs/<sha256>.<png|jpg|webp|bin>   every image once, by hash

A JSON body is kept as its exact text with each base64 image replaced by ``{{blob:NAME}}``, so
replay gives back the recorded bytes while an image sent twice in one body (``image_base64`` and
``turbo_image_base64``) or in many exchanges is stored once. Files are written to a temporary
name and renamed, so a reader (or another worker) never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server.journal.calls import FilePart

INTERACTIONS, BLOBS = "interactions", "blobs"
#: Connection-level headers that describe one transfer, not the answer, so they are not replayed.
TRANSFER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"})
_BLOB_MARK = re.compile(r"\{\{blob:([0-9a-f]{64}\.[a-z]+)\}\}")
_MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"RIFF", ".webp"))


class CassetteError(ValueError):
    """A cassette directory or file that cannot be read."""


def request_key(method: str, path: str, params: Mapping[str, Any], files: Sequence[FilePart]) -> str:
    """What a recorded request is matched on: decoded parameters and file hashes, never raw bytes."""
    canonical = {"method": method.upper(), "path": path, "params": dict(params),
                 "files": [[part.field, part.sha256] for part in files]}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Interaction:
    key: str
    request: Mapping[str, Any]
    response: RecordedResponse


class Cassette:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def record(self, interaction: Interaction) -> Path:
        """Write one exchange (and its images, once); the path of the exchange's file."""
        response = interaction.response
        headers = [[name, value] for name, value in response.headers if name.lower() not in TRANSFER_HEADERS]
        document = {
            "key": interaction.key,
            "request": dict(interaction.request),
            "response": {"status": response.status, "headers": headers,
                         "body": self._store_body(_content_type(response.headers), response.body)},
        }
        name = f"{time.time_ns()}-{interaction.key[:16]}.json"
        path = self.directory / INTERACTIONS / name
        _write_atomically(path, json.dumps(document, indent=1).encode())
        return path

    def interactions(self) -> list[Interaction]:
        """Every exchange, in the order recorded."""
        folder = self.directory / INTERACTIONS
        if not folder.is_dir():
            raise CassetteError(f"{self.directory} is not a cassette (no {INTERACTIONS}/ folder)")
        return [self._load(path) for path in sorted(folder.glob("*.json"))]

    def _load(self, path: Path) -> Interaction:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            response = document["response"]
            recorded = RecordedResponse(
                status=int(response["status"]),
                headers=tuple((str(name), str(value)) for name, value in response["headers"]),
                body=self._load_body(response["body"]),
            )
            return Interaction(str(document["key"]), document["request"], recorded)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CassetteError(f"cannot read {path}: {exc}") from exc

    def _store_body(self, content_type: str, body: bytes) -> dict[str, str]:
        if content_type.startswith("image/"):
            return {"blob": self._blob(body)}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(body).decode("ascii")}
        if "json" in content_type:
            text = self._extract_images(text)
        return {"text": text}

    def _extract_images(self, text: str) -> str:
        try:
            document = json.loads(text)
        except ValueError:
            return text
        if not isinstance(document, dict):
            return text
        for name, value in document.items():
            data = _image_base64(value) if name.endswith("_base64") else None
            if data is not None:
                text = text.replace(f'"{value}"', '"{{blob:' + self._blob(data) + '}}"')
        return text

    def _load_body(self, stored: Mapping[str, str]) -> bytes:
        if "blob" in stored:
            return self._read_blob(stored["blob"])
        if "base64" in stored:
            return base64.b64decode(stored["base64"])
        text = _BLOB_MARK.sub(lambda found: base64.b64encode(self._read_blob(found.group(1))).decode(), stored["text"])
        return text.encode("utf-8")

    def _blob(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest() + next((ext for magic, ext in _MAGIC if data.startswith(magic)), ".bin")
        path = self.directory / BLOBS / name
        if not path.exists():
            _write_atomically(path, data)
        return name

    def _read_blob(self, name: str) -> bytes:
        if not re.fullmatch(r"[0-9a-f]{64}\.[a-z]+", name):
            raise CassetteError(f"bad blob name {name!r}")
        return (self.directory / BLOBS / name).read_bytes()


def _content_type(headers: Sequence[tuple[str, str]]) -> str:
    return next((value.lower() for name, value in headers if name.lower() == "content-type"), "")


def _image_base64(value: Any) -> bytes | None:
    """The decoded bytes if ``value`` is canonical base64 of some length (so it re-encodes exactly)."""
    if not isinstance(value, str) or len(value) < 64:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == value else None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
