"""One handler per ``operationId`` of the public spec: parse, validate, plan, generate, respond.

``generate`` in order: the API key → the rate limiter → the body (a parse error is kept, not yet
raised, so that a queued fault still applies to a malformed request) → the fault for this request
(``X-Mock-Fault`` or the queue) → a recorded answer when replaying → a synthetic one.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from mock_server.datatypes import RawRequest
from mock_server.errors import EigenMockError, InvalidParameter, NotFound, RateLimited
from mock_server.faults.fault import BREAKS_BEFORE_RESPONSE, FAULT_HEADER, RequestFacts, from_header
from mock_server.faults.latency import HEADER as LATENCY_HEADER
from mock_server.faults.latency import Latency, LatencyError, remaining
from mock_server.faults.queue import AppliedFault, header_fault
from mock_server.faults.ratelimit import RateLimiter
from mock_server.faults.responses import FaultyResponse
from mock_server.generation import rules
from mock_server.generation.body_cache import Prepared
from mock_server.http import parsing
from mock_server.http.auth import check_bearer
from mock_server.http.context import absorb_shutdown_cut, request_id_of, shutting_down
from mock_server.http.headers import headers_of
from mock_server.http.responses import NoAnswer, error_response, generation_response, response_body
from mock_server.journal.middleware import draft_of, record_arrival
from mock_server.proxy.replay import matching_key
from mock_server.proxy.responses import passthrough_response
from mock_server.runtime import Runtime, runtime_of
from mock_server.sessions import HEADER as SESSION_HEADER
from mock_server.sessions import Session, SessionError
from mock_server.spec import MediaKind
from mock_server.stubs.book import StubFacts


async def generate(request: Request) -> Response:
    runtime = runtime_of(request)
    headers = headers_of(request.scope)
    session = session_of(request, runtime)
    check_bearer(headers.get("authorization"), runtime.settings.api_keys)
    check_rate_limit(request, session.rate_limiter)
    prepared, problem = await _read(request, runtime)
    if prepared is not None:
        draft_of(request.scope).note_request(prepared.summary)
    header = headers.get(FAULT_HEADER)
    if header is not None:
        applied: AppliedFault | None = header_fault(from_header(header))
    else:  # the facts only when a fault is queued: most requests meet an empty queue
        applied = session.faults.take(_facts(request, prepared)) if session.faults.entries() else None
    if applied is None:
        return await _answer(request, runtime, prepared, problem)
    return await _answer_with_fault(request, runtime, applied, prepared, problem)


async def prepare(request: Request, runtime: Runtime) -> Prepared:
    """The body parsed and summarised, or as prepared before if the same JSON body came lately."""
    kind = parsing.media_kind(headers_of(request.scope).get("content-type"))
    limit = runtime.settings.max_body_bytes
    body = await parsing.read_body(request, limit)
    if kind == "json":
        return runtime.bodies.prepare(body, parsing.parse_json)
    return Prepared.of(await parse_body(request, kind, body, limit))


async def parse_body(request: Request, kind: MediaKind, body: bytes, limit: int) -> RawRequest:
    if kind == "json":
        return parsing.parse_json(body)
    return await parsing.parse_multipart(request, body, max_part_bytes=limit)


def session_of(request: Request, runtime: Runtime) -> Session:
    """The request's session: ``X-Mock-Session``, else the one its API key is bound to, else the
    default; noted for the journal. ``400`` for a name that cannot be a session's."""
    cached = request.scope.get(_SESSION_KEY)
    if isinstance(cached, Session):
        return cached
    headers = headers_of(request.scope)
    name = headers.get(SESSION_HEADER)
    if name is None and runtime.sessions.keys_bound():
        scheme, _, key = (headers.get("authorization") or "").partition(" ")
        name = runtime.sessions.bound(key.strip()) if scheme.lower() == "bearer" and key else None
    if name is None:
        session = runtime.sessions.default
    else:
        try:
            session = runtime.session(name)
        except SessionError as exc:
            raise InvalidParameter(f"X-Mock-Session: {exc}", param=None) from None
        draft_of(request.scope).session = name
    request.scope[_SESSION_KEY] = session
    return session


_SESSION_KEY = "eigen_mock.session"


def check_rate_limit(request: Request, limiter: RateLimiter) -> None:
    """Count the request against its key's window; ``429`` with ``Retry-After`` past the limit."""
    retry = limiter.hit(lambda: client_key(request))  # no key worked out while it is off
    if retry is not None:
        raise RateLimited(f"too many requests; retry after {retry} s", headers={"Retry-After": str(retry)})


def client_key(request: Request) -> str:
    """Whose requests are counted together: one API key (by hash: never the key) or one client address."""
    header = headers_of(request.scope).get("authorization")
    if header:
        return _key_digest(header)
    return "addr:" + (request.client.host if request.client else "unknown")


@lru_cache(maxsize=64)
def _key_digest(header: str) -> str:
    return "key:" + hashlib.sha256(header.strip().encode()).hexdigest()[:16]


async def _read(request: Request, runtime: Runtime) -> tuple[Prepared | None, EigenMockError | None]:
    try:
        return await prepare(request, runtime), None
    except EigenMockError as exc:
        return None, exc


def _facts(request: Request, prepared: Prepared | None) -> RequestFacts:
    headers = dict(headers_of(request.scope))
    if prepared is None:
        return RequestFacts(headers=headers)
    return RequestFacts(prepared.summary.model, prepared.summary.mode, headers)


async def _answer_with_fault(
    request: Request,
    runtime: Runtime,
    applied: AppliedFault,
    prepared: Prepared | None,
    problem: EigenMockError | None,
    *,
    stubbed: bool = True,
) -> Response:
    fault = applied.fault
    draft_of(request.scope).fault = applied.to_json()
    if applied.delay_seconds > 0 or fault.dribble is not None:
        record_arrival(request.scope)  # the client waits: its call is in the journal meanwhile
    if applied.delay_seconds > 0 and await _client_gone_during(request, applied.delay_seconds):
        return NoAnswer()  # the client gave up waiting: the call is completed as unanswered
    shaped = fault.fault is not None or fault.dribble is not None
    if fault.fault in BREAKS_BEFORE_RESPONSE:
        return FaultyResponse(Response(b""), fault)
    try:
        error = fault.exception()
        if error is not None:
            raise error
        response = await _answer(request, runtime, prepared, problem, stubbed=stubbed)
    except EigenMockError as exc:
        if not shaped:
            raise
        response = error_response(exc, request_id_of(request.scope))
    if shaped:  # the body sent is not the answer's: keep what goes out
        draft_of(request.scope).remake_body = None
        return FaultyResponse(response, fault)
    return response


async def _client_gone_during(request: Request, seconds: float) -> bool:
    """Make the client wait ``seconds`` (a delay or a latency), its call journalled meanwhile; true if
    it disconnects first. A server that stops cuts the wait and answers ``503``."""
    record_arrival(request.scope)
    try:
        return await _client_leaves_within(request, seconds)
    except asyncio.CancelledError as exc:
        if not absorb_shutdown_cut(exc):
            raise
        raise shutting_down() from None


async def _client_leaves_within(request: Request, seconds: float) -> bool:
    """Wait ``seconds`` without blocking other requests; true as soon as the client disconnects."""
    with anyio.move_on_after(seconds):
        while (await request.receive())["type"] != "http.disconnect":
            pass  # the rest of a body nobody reads (a request refused before its body was read)
        return True
    return False


async def _answer(
    request: Request,
    runtime: Runtime,
    prepared: Prepared | None,
    problem: EigenMockError | None,
    *,
    stubbed: bool = True,
) -> Response:
    if problem is not None or prepared is None:
        raise problem or NotFound("no request")
    started = time.monotonic()
    latency = _latency(request, runtime)
    raw = prepared.raw
    if runtime.replayer is not None:
        replayed = await _replayed(request, runtime, raw)
        if replayed is not None:
            return replayed
    library = runtime.library
    plan = prepared.plan(library, lambda: rules.plan(runtime.validator.validate(raw), raw.uploads, library))
    request_id = request_id_of(request.scope)
    stubs = session_of(request, runtime).stubs
    stub = stubs.take(_stub_facts(request, plan)) if stubbed and stubs.active() else None
    if stub is not None:
        draft_of(request.scope).stub = stub.to_json()
        if stub.fault is not None:
            applied = AppliedFault(stub.id, stub.fault, stub.fault.delay_seconds(random.Random(stub.id)))
            return await _answer_with_fault(request, runtime, applied, prepared, None, stubbed=False)
        assert stub.picture is not None
        generation = await to_thread.run_sync(
            runtime.generate_stubbed, plan, request_id, stubs, stub.picture, limiter=runtime.render_limiter
        )
    elif _renders_in_a_blink(plan):
        generation = runtime.generate(plan, request_id)
    else:
        generation = await to_thread.run_sync(runtime.generate, plan, request_id, limiter=runtime.render_limiter)
    draft = draft_of(request.scope)
    draft.mode = plan.mode
    draft.image_sha256 = generation.image.sha256
    if latency is not None:  # asynchronous: a waiting answer holds no thread
        wait = remaining(latency.seconds(generation.processing_time_seconds), time.monotonic() - started)
        if wait > 0 and await _client_gone_during(request, wait):
            return NoAnswer()
    draft.remake_body = partial(response_body, generation)
    return generation_response(generation)


def _latency(request: Request, runtime: Runtime) -> Latency | None:
    """The latency for this request: ``X-Mock-Latency`` when sent, else its session's, else the server's."""
    header = headers_of(request.scope).get(LATENCY_HEADER)
    if header is None:
        name = session_of(request, runtime).name
        header = None if name is None else runtime.sessions.latency(name)
        if header is None:
            return runtime.latency
    try:
        return Latency.parse(header, runtime.latency.scale if runtime.latency is not None else 1.0)
    except LatencyError as exc:
        raise InvalidParameter(f"X-Mock-Latency: {exc}", param=None) from None


def _stub_facts(request: Request, plan: rules.Plan) -> StubFacts:
    return StubFacts(plan.model_id, plan.mode, plan.params, dict(headers_of(request.scope)))


def _renders_in_a_blink(plan: rules.Plan) -> bool:
    """Text-to-image PNG with no S3 write costs about a millisecond of CPU (precompressed canvases), as
    much as a hop to a worker thread; everything else (JPEG, edits, sources, S3) may block, so it hops."""
    return plan.mode == "text-to-image" and plan.output_format == "png" and plan.s3_output is None


async def _replayed(request: Request, runtime: Runtime, raw: RawRequest) -> Response | None:
    assert runtime.replayer is not None
    recorded = runtime.replayer.answer(matching_key(request.method, request.url.path, raw, runtime.validator))
    if recorded is None:
        if runtime.settings.replay_strict:
            raise NotFound("no recorded exchange matches this request (the mock replays strictly)")
        return None
    content_type = next((value for name, value in recorded.headers if name.lower() == "content-type"), None)
    draft = draft_of(request.scope)
    draft.source = "replay"
    draft.image_sha256 = await to_thread.run_sync(runtime.thumbnailer.submit_answer, content_type, recorded.body)
    return passthrough_response(recorded.status, recorded.headers, recorded.body)


#: operationId → handler; ``create_app`` refuses to start if the spec names one that is missing.
HANDLERS: dict[str, Callable[[Request], Awaitable[Response]]] = {"generate": generate}
