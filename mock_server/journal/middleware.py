"""Journal recording as pure ASGI middleware: one ``Call`` per request to the public API.

Handlers put what only they know (parsed parameters, file hashes, model, mode, the fault applied,
spec violations, the image's hash) into a ``CallDraft`` on the scope; this middleware adds what
it sees on the wire (status, content type, size, error code, timing) and records the call just
*before* the last body chunk goes out, so a client that has its answer always finds it in the
journal. Control-plane requests (``/_mock/``) are not recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.faults.responses import SimulatedNetworkFault
from mock_server.http.context import request_id_of
from mock_server.journal.calls import FilePart, Journal
from mock_server.journal.summary import RequestSummary, redact_headers

DRAFT_KEY = "eigen_mock.call"
CONTROL_PREFIX = "/_mock"
#: Error bodies up to this size are read for their ``error.code``; larger bodies are not errors of ours.
_ERROR_BODY_LIMIT = 64 * 1024


@dataclass(slots=True)
class CallDraft:
    """What the handler of one request learned, for the journal (a handler replaces a field, never
    changes the value in it: the defaults are immutable, so made once)."""

    params: Mapping[str, Any] | None = None
    files: tuple[FilePart, ...] = ()
    model: str | None = None
    mode: str | None = None
    fault: dict[str, Any] | None = None
    violations: Sequence[Mapping[str, str]] = ()
    source: str = "mock"
    image_sha256: str | None = None

    def note_request(self, summary: RequestSummary) -> None:
        self.params, self.files, self.model, self.mode = summary.params, summary.files, summary.model, summary.mode


def draft_of(scope: Scope) -> CallDraft:
    """The draft of this request (a fresh one where no middleware set one, e.g. in a bare router)."""
    draft = scope.get(DRAFT_KEY)
    if not isinstance(draft, CallDraft):
        draft = scope[DRAFT_KEY] = CallDraft()
    return draft


@dataclass(slots=True)
class _Wire:
    status: int | None = None
    content_type: str | None = None
    size: int = 0
    error_body: bytes = b""


class JournalMiddleware:
    def __init__(self, app: ASGIApp, *, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX) or self.journal.limit == 0:
            await self.app(scope, receive, send)
            return
        draft, wire = draft_of(scope), _Wire()
        started, wall = time.perf_counter(), time.time()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.journal.record(_document(scope, draft, wire, wall, time.perf_counter() - started))

        async def observe(message: Message) -> None:
            _watch(wire, message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except SimulatedNetworkFault:
            raise  # the client sees a broken connection, not a status
        except Exception:
            wire.status = wire.status or 500  # what the context middleware will answer
            raise
        finally:
            record()


def _watch(wire: _Wire, message: Message) -> None:
    if message["type"] == "http.response.start":
        wire.status = int(message["status"])
        wire.content_type = next((value.decode("latin-1") for name, value in message.get("headers", ())
                                  if name.lower() == b"content-type"), None) or None  # fmt: skip
    elif message["type"] == "http.response.body":
        body = message.get("body", b"")
        wire.size += len(body)
        if (wire.status or 0) >= 400 and len(wire.error_body) + len(body) <= _ERROR_BODY_LIMIT:
            wire.error_body += body


def _document(scope: Scope, draft: CallDraft, wire: _Wire, wall: float, elapsed: float) -> dict[str, Any]:
    return {
        "request_id": request_id_of(scope), "time": _rounded(wall, 1e6), "method": scope["method"],
        "path": scope["path"], "query": scope.get("query_string", b"").decode("latin-1"),
        "headers": _headers(tuple(scope.get("headers", ()))), "params": draft.params or {},
        "files": [part.to_json() for part in draft.files], "model": draft.model, "mode": draft.mode,
        "status": wire.status, "duration_ms": _rounded(elapsed * 1000, 1e3), "content_type": wire.content_type,
        "response_size": wire.size, "error_code": _error_code(wire), "image_sha256": draft.image_sha256,
        "fault": draft.fault, "violations": list(draft.violations), "source": draft.source,
    }


def _rounded(value: float, scale: float) -> float:
    """``value`` to ``1/scale``: ``round(value, digits)`` goes through decimal text, at 0.6 µs a call."""
    return round(value * scale) / scale


@lru_cache(maxsize=64)
def _headers(raw: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """The headers as recorded: a client sends the same few headers request after request, so
    they are decoded and redacted once per distinct set. The dict is shared: it is only read (the
    record is serialised at once)."""
    return redact_headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


def _error_code(wire: _Wire) -> str | None:
    if not wire.error_body:
        return None
    try:
        code = json.loads(bytes(wire.error_body))["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None
