"""What the journal and the cassettes keep of a request: parameters, file hashes, redacted headers.

Pure functions over the parsed request (no HTTP). Image bytes become ``FilePart`` hashes, wherever
they were sent (a multipart file part, base64 in a JSON body, a ``data:`` URL in ``image_path``),
and long texts are cut, so one record stays small whatever the request carried.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.datatypes import RawRequest, Upload
from mock_server.journal.calls import FilePart
from mock_server.journal.redaction import REDACTED, is_secret_name, redacted_value
from mock_server.spec import FILE_PARAMETERS

MAX_TEXT = 2048
_SOURCE_FIELDS = (*FILE_PARAMETERS, "image_path")


@dataclass(frozen=True, slots=True)
class RequestSummary:
    params: dict[str, Any]
    files: tuple[FilePart, ...]
    model: str | None
    mode: str | None


def summarize(raw: RawRequest) -> RequestSummary:
    """Parameters (no image bytes, long texts cut) and file parts of a parsed request."""
    params: dict[str, Any] = {}
    files = [file_part(upload) for upload in raw.uploads]
    for name, value in raw.params.items():
        if name in FILE_PARAMETERS:
            files.extend(_base64_part(name, item) for item in (value if isinstance(value, list) else [value]))
        elif name == "image_path" and isinstance(value, str) and value.startswith("data:"):
            part = _data_url_part(value)
            files.append(part)
            params[name] = f"data:{part.content_type or ''};sha256={part.sha256}"
        elif is_secret_name(name):  # never a parameter of the spec: a credential sent in the body
            params[name] = REDACTED
        else:
            params[name] = _cut(value)
    return RequestSummary(params, tuple(files), _text(params.get("model")), _mode(raw, params))


def file_part(upload: Upload) -> FilePart:
    return FilePart(upload.field, upload.filename, upload.content_type, len(upload.data), sha256(upload.data))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def redact_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name (repeats joined with ``, ``), credentials (``redaction.py``)
    replaced by ``<redacted>``."""
    found: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        shown = redacted_value(value) if is_secret_name(key) else value
        found[key] = f"{found[key]}, {shown}" if key in found else shown
    return found


# Twin of contract_tests/judging/view.py's mode inference; keep both: the suite never imports mock_server.
def _mode(raw: RawRequest, params: Mapping[str, Any]) -> str | None:
    """The mode as sent, else the contract's inference (editing when a source is present)."""
    if "mode" in params:
        return _text(params["mode"])
    has_source = bool(raw.uploads) or any(name in raw.params for name in _SOURCE_FIELDS)
    return "image-editing" if has_source else "text-to-image"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}…[{len(value) - MAX_TEXT} more characters]"
    return value


def _base64_part(name: str, value: Any) -> FilePart:
    data = _b64decode(value if isinstance(value, str) else str(value))
    return FilePart(name, None, None, len(data), sha256(data))


# Twin of contract_tests/wire/exchange.py's unbase64 (data URLs); keep both: the suite never imports mock_server.
def _data_url_part(url: str) -> FilePart:
    header, _, payload = url.partition(",")
    media_type = header[5:].split(";", 1)[0] or None
    data = _b64decode(payload) if header.endswith(";base64") else payload.encode("utf-8", "replace")
    return FilePart("image_path", None, media_type, len(data), sha256(data))


def _b64decode(text: str) -> bytes:
    """The decoded bytes, or the text itself when it is not base64 (its hash still identifies it)."""
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return text.encode("utf-8", "replace")
