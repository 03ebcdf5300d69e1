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

A cassette is a file a user may have edited, or been sent, so loading checks all of it before the
server starts (``CassetteError``, one line): every status a final HTTP status (200-599), every
header name an HTTP token and every value free of CR, LF and other control characters (either
would break the answer on the wire), every body well-formed. Only regular files inside the
cassette are read: a symbolic link (which could point anywhere) or a FIFO (which would block
start-up for ever) is refused.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server.journal.calls import FilePart
from mock_server.journal.redaction import is_secret_name, redacted_value

INTERACTIONS = "interactions"
BLOBS = "blobs"
#: Connection-level headers that describe one transfer, not the answer, so they are not replayed.
TRANSFER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"})
_BLOB_MARK = re.compile(r"\{\{blob:([0-9a-f]{64}\.[a-z]+)\}\}")
_MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"RIFF", ".webp"))
_BLOB_NAME = re.compile(r"[0-9a-f]{64}\.[a-z]+")
#: RFC 9110 §5.1 (a token) and §5.5 (a field value: visible characters, spaces and tabs, obs-text).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_FINAL_STATUSES = range(200, 600)


class CassetteError(ValueError):
    """A cassette directory or file that cannot be read."""


def request_key(method: str, path: str, params: Mapping[str, Any], files: Sequence[FilePart]) -> str:
    """What a recorded request is matched on: decoded parameters and file hashes, never raw bytes."""
    canonical = {
        "method": method.upper(),
        "path": path,
        "params": dict(params),
        "files": [[part.field, part.sha256] for part in files],
    }
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
        # A cookie or token the server handed out is not kept either: cassettes get committed.
        headers = [
            [name, redacted_value(value) if is_secret_name(name) else value]
            for name, value in response.headers
            if name.lower() not in TRANSFER_HEADERS
        ]
        document = {
            "key": interaction.key,
            "request": dict(interaction.request),
            "response": {
                "status": response.status,
                "headers": headers,
                "body": self._store_body(_content_type(response.headers), response.body),
            },
        }
        name = f"{time.time_ns()}-{interaction.key[:16]}.json"
        path = self.directory / INTERACTIONS / name
        _write_atomically(path, json.dumps(document, indent=1).encode())
        return path

    def interactions(self) -> list[Interaction]:
        """Every exchange, in the order recorded, each checked whole (``CassetteError`` otherwise)."""
        folder = self.directory / INTERACTIONS
        if not _is_real_directory(folder):
            raise CassetteError(f"{_shown(self.directory)} is not a cassette (no {INTERACTIONS}/ folder)")
        return [self._load(path) for path in sorted(folder.glob("*.json"))]

    def _load(self, path: Path) -> Interaction:
        try:
            document = json.loads(_read_regular(path).decode("utf-8"))
            if not isinstance(document, dict) or not isinstance(document.get("request"), dict):
                raise ValueError("an exchange is an object with a request object")
            key, response = document.get("key"), document.get("response")
            if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{64}", key):
                raise ValueError("key must be 64 hex digits")
            if not isinstance(response, dict):
                raise ValueError("response must be an object")
            recorded = RecordedResponse(
                _status(response.get("status")),
                _headers(response.get("headers")),
                self._load_body(response.get("body")),
            )
            return Interaction(key, document["request"], recorded)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CassetteError(f"cannot read {_shown(path)}: {_shown(exc)}") from exc

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

    def _load_body(self, stored: Any) -> bytes:
        if not isinstance(stored, dict) or len(stored) != 1 or not isinstance(next(iter(stored.values())), str):
            raise ValueError('body must be one of {"blob": NAME}, {"base64": TEXT} or {"text": TEXT}')
        if "blob" in stored:
            return self._read_blob(stored["blob"])
        if "base64" in stored:
            return base64.b64decode(stored["base64"], validate=True)
        if "text" not in stored:
            raise ValueError(f"unknown body kind {next(iter(stored))[:40]!r}")
        text = _BLOB_MARK.sub(lambda found: base64.b64encode(self._read_blob(found.group(1))).decode(), stored["text"])
        return text.encode("utf-8")

    def _blob(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest() + next((ext for magic, ext in _MAGIC if data.startswith(magic)), ".bin")
        path = self.directory / BLOBS / name
        if not path.exists():
            _write_atomically(path, data)
        return name

    def _read_blob(self, name: str) -> bytes:
        if not _BLOB_NAME.fullmatch(name):
            raise ValueError(f"bad blob name {name[:80]!r}")
        folder = self.directory / BLOBS
        if not _is_real_directory(folder):
            raise ValueError(f"{BLOBS}/ is missing or not a directory of the cassette")
        return _read_regular(folder / name)


def _status(value: Any) -> int:
    if type(value) is not int or value not in _FINAL_STATUSES:  # not a bool, nor 1xx: never a final answer
        raise ValueError(f"status {str(value)[:20]} is not an HTTP status of a final answer (200-599)")
    return value


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise ValueError("headers must be a list of [name, value] pairs")
    pairs = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(item, str) for item in pair)):
            raise ValueError("headers must be a list of [name, value] pairs of strings")
        name, text = pair
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"header name {name[:60]!r} is not an HTTP token (no spaces, colons or controls)")
        if not _HEADER_VALUE.fullmatch(text):
            raise ValueError(f"the value of header {name!r} holds CR, LF or another control character")
        pairs.append((name, text))
    return tuple(pairs)


def _is_real_directory(path: Path) -> bool:
    """A directory, and not through a symbolic link (which could lead out of the cassette)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file; a symbolic link, FIFO, device or directory is
    refused (``O_NONBLOCK``: opening a FIFO with no writer must not wait; ``O_NOFOLLOW``: a link is
    not followed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError(f"{path.name[:80]} is a symbolic link: only regular files are read") from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{path.name[:80]} is not a regular file")
        with os.fdopen(os.dup(fd), "rb") as file:
            return file.read()
    finally:
        os.close(fd)


def _shown(value: object) -> str:
    """``value`` as text on one line (a file name may hold a newline)."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", str(value))


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
