"""Journal recording as pure ASGI middleware: one ``Call`` per request to the public API.

Handlers put what only they know (parsed parameters, file hashes, model, mode, the fault applied,
spec violations, the image's hash) into a ``CallDraft`` on the scope; this middleware adds what
it sees on the wire (status, content type, size, error code, timing) and records the call just
*before* the last body chunk goes out, so a client that has its answer always finds it in the
journal. A handler about to make its client wait (an injected delay) calls ``record_arrival``
first: the call is then recorded at once as ``pending`` and completed in place when it is answered
or abandoned, so a client that gave up waiting finds its one call already there. Control-plane
requests (``/_mock/``) are not recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.faults.responses import SimulatedNetworkFault
from mock_server.http.context import request_id_of
from mock_server.journal.calls import FilePart, Journal
from mock_server.journal.kept_answers import KeptAnswer, KeptAnswers
from mock_server.journal.redaction import redact_query
from mock_server.journal.summary import RequestSummary, redact_headers

DRAFT_KEY = "eigen_mock.call"
ARRIVAL_KEY = "eigen_mock.arrival"
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
    #: The stub that answered, as ``{"id", "name", "kind", "description"}``.
    stub: dict[str, Any] | None = None
    #: The session the request belongs to (``None``: the default session).
    session: str | None = None
    #: Makes the body sent again (a generated answer's); ``None``: it is kept as it goes out.
    remake_body: Callable[[], bytes] | None = None
    violations: Sequence[Mapping[str, str]] = ()
    source: str = "mock"
    image_sha256: str | None = None

    def note_request(self, summary: RequestSummary) -> None:
        self.params = summary.params
        self.files = summary.files
        self.model = summary.model
        self.mode = summary.mode


def record_arrival(scope: Scope) -> None:
    """Journal this request now, as pending (a wait is ahead); it is completed when it ends."""
    arrive = scope.get(ARRIVAL_KEY)
    if arrive is not None:
        arrive()


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
    #: The raw headers and body chunks, only while answers are kept for a HAR export.
    headers: Sequence[tuple[bytes, bytes]] | None = None
    chunks: list[bytes] | None = None


class JournalMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        answers: KeptAnswers | None = None,
        session_journal: Callable[[str], Journal] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        #: A named session's journal (the default session's is ``journal``).
        self.session_journal = session_journal
        self.answers = answers if answers is not None and answers.enabled else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX) or self.journal.limit == 0:
            await self.app(scope, receive, send)
            return
        draft = draft_of(scope)
        wire = _Wire()
        started = time.perf_counter()
        wall = time.time()
        recorded, seq = False, 0

        def journal_of() -> Journal:
            if draft.session is not None and self.session_journal is not None:
                return self.session_journal(draft.session)
            return self.journal

        def arrive() -> None:
            nonlocal seq
            if not recorded and not seq:
                seq = journal_of().record(_document(scope, draft, wire, wall, 0.0, pending=True))

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                document = _document(scope, draft, wire, wall, time.perf_counter() - started)
                journal = journal_of()
                if seq:
                    journal.complete(seq, document)
                else:
                    journal.record(document)
                if self.answers is not None and wire.status is not None:
                    self.answers.keep(request_id_of(scope), _answer(wire, draft))

        scope[ARRIVAL_KEY] = arrive

        async def observe(message: Message) -> None:
            if self.answers is not None and message["type"] == "http.response.start":
                wire.headers = message.get("headers", ())
                if draft.remake_body is None:
                    wire.chunks = []  # an answer that cannot be made again is kept as sent
            _watch(wire, message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except (SimulatedNetworkFault, ClientDisconnect):
            raise  # no answer reached the client: the status stays null
        except Exception:
            wire.status = wire.status or 500  # what the context middleware will answer
            raise
        finally:
            record()
            # ``arrive`` refers to the scope: left in it, every request would be a reference cycle
            # that only the garbage collector frees (its pauses made the tail of the latency 7x p50).
            scope.pop(ARRIVAL_KEY, None)


def _watch(wire: _Wire, message: Message) -> None:
    if message["type"] == "http.response.start":
        wire.status = int(message["status"])
        wire.content_type = (
            next(
                (
                    value.decode("latin-1")
                    for name, value in message.get("headers", ())
                    if name.lower() == b"content-type"
                ),
                None,
            )
            or None
        )
    elif message["type"] == "http.response.body":
        body = message.get("body", b"")
        wire.size += len(body)
        if wire.chunks is not None and body:
            wire.chunks.append(body)
        if (wire.status or 0) >= 400 and len(wire.error_body) + len(body) <= _ERROR_BODY_LIMIT:
            wire.error_body += body


def _answer(wire: _Wire, draft: CallDraft) -> KeptAnswer:
    if draft.remake_body is not None:
        return KeptAnswer(wire.status or 0, wire.headers or (), wire.size, draft.remake_body)
    chunks = wire.chunks or ()
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return KeptAnswer(wire.status or 0, wire.headers or (), len(body), bytes(body))


def _document(
    scope: Scope, draft: CallDraft, wire: _Wire, wall: float, elapsed: float, *, pending: bool = False
) -> dict[str, Any]:
    document = {
        "request_id": request_id_of(scope),
        "time": _rounded(wall, 1e6),
        "method": scope["method"],
        "path": scope["path"],
        "query": redact_query(scope.get("query_string", b"").decode("latin-1")),
        "headers": _headers(tuple(scope.get("headers", ()))),
        "params": draft.params or {},
        "files": [part.to_json() for part in draft.files],
        "model": draft.model,
        "mode": draft.mode,
        "status": wire.status,
        "duration_ms": _rounded(elapsed * 1000, 1e3),
        "content_type": wire.content_type,
        "response_size": wire.size,
        "error_code": _error_code(wire),
        "image_sha256": draft.image_sha256,
        "fault": draft.fault,
        "violations": list(draft.violations),
        "source": draft.source,
        "pending": pending,
    }
    if draft.stub is not None:
        document["stub"] = draft.stub
    if draft.session is not None:
        document["session"] = draft.session
    return document


def _rounded(value: float, scale: float) -> float:
    """``value`` to ``1/scale``, without ``round(value, digits)``'s detour through decimal text
    (twice per request)."""
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
