"""The journal as an HTTP Archive (HAR 1.2), the format of browser devtools, WireMock and proxies.

One entry per journal record. The journal keeps hashes, not bytes, so by default an image (a
source the client sent, or the image answered) appears as its SHA-256 and size, in the entry's
``comment`` and in ``_eigenMock``; with ``bodies`` the answers still kept whole
(``kept_answers.py``) are inlined (JSON as text, images as base64), up to ``max_inline_bytes``
in all. What HAR has no field for (sequence number, model, mode, the fault applied, the
stub that answered, spec violations, the source of the answer) goes into ``_eigenMock``: HAR allows custom fields that
start with an underscore. A broken connection (no status) is a status 0 with ``_error``, as
Chromium writes it. No HTTP here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from typing import Any
from urllib.parse import parse_qsl

from mock_server.journal.kept_answers import KeptAnswer

VERSION = "1.2"
PAGE_ID = "eigen-mock"
#: The default bound of the bodies inlined into one HAR document.
MAX_INLINE_BYTES = 32 * 1024 * 1024
_BROKEN = {"CONNECTION_RESET_BY_PEER": "net::ERR_CONNECTION_RESET", "EMPTY_RESPONSE": "net::ERR_EMPTY_RESPONSE"}

Lookup = Callable[[str], KeptAnswer | None]


def to_har(
    documents: Iterable[Mapping[str, Any]],
    *,
    answers: Lookup | None = None,
    bodies: bool = False,
    max_inline_bytes: int = MAX_INLINE_BYTES,
    creator_version: str = "",
) -> dict[str, Any]:
    """A HAR 1.2 document (a dict ready for ``json.dumps``) of journal records, oldest first.

    Parameters:
        documents: journal records (``GET /_mock/requests``'s, or ``Call.to_json()``).
        answers: finds the answer kept for a request id, for its headers and (with ``bodies``) body.
        bodies: inline the bodies of kept answers, at most ``max_inline_bytes`` in all.
    """
    budget = _Budget(max_inline_bytes if bodies else 0, bodies)
    entries = [_entry(doc, answers(str(doc.get("request_id"))) if answers else None, budget) for doc in documents]
    started = entries[0]["startedDateTime"] if entries else _iso(0.0)
    return {
        "log": {
            "version": VERSION,
            "creator": {"name": "eigen-mock", "version": creator_version or "0"},
            "pages": [{"startedDateTime": started, "id": PAGE_ID, "title": "eigen-mock journal", "pageTimings": {}}],
            "entries": entries,
            "comment": "Images are listed by SHA-256 and size"
            + ("" if bodies else "; ?bodies=true inlines kept answers"),
        }
    }


@dataclass(slots=True)
class _Budget:
    left: int
    wanted: bool

    def spend(self, body: bytes) -> bool:
        if not self.wanted or len(body) > self.left:
            return False
        self.left -= len(body)
        return True


def package_version() -> str:
    """eigen-mock's installed version, for the HAR's ``creator``."""
    try:
        return metadata.version("eigen-mock")
    except metadata.PackageNotFoundError:
        return "0"


def _entry(doc: Mapping[str, Any], kept: KeptAnswer | None, budget: _Budget) -> dict[str, Any]:
    duration = float(doc.get("duration_ms") or 0.0)
    entry: dict[str, Any] = {
        "pageref": PAGE_ID,
        "startedDateTime": _iso(float(doc.get("time") or 0.0)),
        "time": duration,
        "request": _request(doc),
        "response": _response(doc, kept, budget),
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": duration, "receive": 0, "ssl": -1},
        "_eigenMock": {
            name: doc.get(name)
            for name in (
                "seq",
                "request_id",
                "model",
                "mode",
                "source",
                "fault",
                "stub",
                "violations",
                "image_sha256",
                "error_code",
            )
        },
    }
    fault = doc.get("fault") or {}
    if doc.get("status") is None:
        entry["_error"] = _BROKEN.get(str(fault.get("kind")), "net::ERR_INVALID_RESPONSE")
    return entry


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request(doc: Mapping[str, Any]) -> dict[str, Any]:
    headers: Mapping[str, str] = doc.get("headers") or {}
    query = str(doc.get("query") or "")
    url = f"http://{headers.get('host', '127.0.0.1')}{doc.get('path', '/')}" + (f"?{query}" if query else "")
    request: dict[str, Any] = {
        "method": str(doc.get("method", "GET")),
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": str(value)} for name, value in headers.items()],
        "queryString": [{"name": name, "value": value} for name, value in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": _int(headers.get("content-length"), -1),
    }
    if doc.get("params") or doc.get("files"):
        request["postData"] = _post_data(doc, str(headers.get("content-type") or "application/json"))
    return request


def _post_data(doc: Mapping[str, Any], mime: str) -> dict[str, Any]:
    params: Mapping[str, Any] = doc.get("params") or {}
    files = list(doc.get("files") or ())
    if mime.split(";", 1)[0].strip().lower() != "multipart/form-data":
        shown = {**params, **{part["field"]: _file_label(part) for part in files}}
        return {"mimeType": mime, "text": json.dumps(shown, ensure_ascii=False), "comment": _files_comment(files)}
    fields = [
        {"name": name, "value": value if isinstance(value, str) else json.dumps(value)}
        for name, value in params.items()
    ]
    fields += [
        {
            "name": part["field"],
            "value": _file_label(part),
            "fileName": part.get("filename") or "",
            "contentType": part.get("content_type") or "application/octet-stream",
        }
        for part in files
    ]
    return {"mimeType": mime, "params": fields, "text": "", "comment": _files_comment(files)}


def _file_label(part: Mapping[str, Any]) -> str:
    return f"sha256:{part['sha256']} ({part['size']} bytes, not kept)"


def _files_comment(files: list[Mapping[str, Any]]) -> str:
    return "; ".join(f"{part['field']}: {_file_label(part)}" for part in files)


def _response(doc: Mapping[str, Any], kept: KeptAnswer | None, budget: _Budget) -> dict[str, Any]:
    status = doc.get("status")
    mime = str(doc.get("content_type") or ("x-unknown" if status is None else "application/octet-stream"))
    size = int(doc.get("response_size") or 0)
    headers = list(kept.headers) if kept is not None else _known_headers(doc, mime, size)
    content: dict[str, Any] = {"size": size, "mimeType": mime}
    digest = doc.get("image_sha256")
    notes = [f"image sha256:{digest}"] if digest else []
    if kept is not None and budget.spend(kept.body):
        content.update(_inline(kept.body, mime))
    elif budget.wanted and size:
        notes.append("body not inlined: no longer kept, or over the HAR's bound")
    if notes:
        content["comment"] = "; ".join(notes)
    return {
        "status": int(status or 0),
        "statusText": _reason(status),
        "httpVersion": "HTTP/1.1" if status else "",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in headers],
        "content": content,
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": size if status else -1,
    }


def _known_headers(doc: Mapping[str, Any], mime: str, size: int) -> list[tuple[str, str]]:
    """The headers the journal can vouch for, where the answer itself is no longer kept."""
    if doc.get("status") is None:
        return []
    return [("content-type", mime), ("content-length", str(size)), ("x-request-id", str(doc.get("request_id")))]


def _inline(body: bytes, mime: str) -> dict[str, Any]:
    if mime.startswith(("application/json", "text/")):
        try:
            return {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _reason(status: Any) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except (TypeError, ValueError):
        return ""


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
