"""One handler per ``operationId`` of the public spec: parse, validate, plan, generate, respond.

``generate`` in order: the API key → the rate limiter → the body (a parse error is kept, not yet
raised, so that a queued fault still applies to a malformed request) → the fault for this request
(``X-Mock-Fault`` or the queue) → a recorded answer when replaying → a synthetic one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import lru_cache

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from mock_server.datatypes import RawRequest
from mock_server.errors import EigenMockError, NotFound, RateLimited
from mock_server.faults import fault as faults
from mock_server.faults.queue import AppliedFault, header_fault
from mock_server.faults.responses import FaultyResponse
from mock_server.generation import rules
from mock_server.generation.body_cache import Prepared
from mock_server.http import parsing
from mock_server.http.auth import check_bearer
from mock_server.http.context import request_id_of
from mock_server.http.headers import headers_of
from mock_server.http.responses import error_response, generation_response
from mock_server.journal.middleware import draft_of
from mock_server.proxy.replay import matching_key
from mock_server.proxy.responses import passthrough_response
from mock_server.runtime import Runtime, runtime_of
from mock_server.spec import MediaKind


async def generate(request: Request) -> Response:
    runtime, headers = runtime_of(request), headers_of(request.scope)
    check_bearer(headers.get("authorization"), runtime.settings.api_keys)
    check_rate_limit(request, runtime)
    prepared, problem = await _read(request, runtime)
    if prepared is not None:
        draft_of(request.scope).note_request(prepared.summary)
    header = headers.get(faults.FAULT_HEADER)
    if header is not None:
        applied: AppliedFault | None = header_fault(faults.from_header(header))
    else:  # the facts only when a fault is queued: most requests meet an empty queue
        applied = runtime.faults.take(_facts(request, prepared)) if runtime.faults.entries() else None
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


def check_rate_limit(request: Request, runtime: Runtime) -> None:
    """Count the request against its key's window; ``429`` with ``Retry-After`` past the limit."""
    retry = runtime.rate_limiter.hit(lambda: client_key(request))  # no key worked out while it is off
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


def _facts(request: Request, prepared: Prepared | None) -> faults.RequestFacts:
    headers = dict(headers_of(request.scope))
    if prepared is None:
        return faults.RequestFacts(headers=headers)
    return faults.RequestFacts(prepared.summary.model, prepared.summary.mode, headers)


async def _answer_with_fault(
    request: Request, runtime: Runtime, applied: AppliedFault, prepared: Prepared | None,
    problem: EigenMockError | None,
) -> Response:
    fault = applied.fault
    draft_of(request.scope).fault = applied.to_json()
    if applied.delay_seconds > 0:
        await anyio.sleep(applied.delay_seconds)  # asynchronous: other requests are served meanwhile
    shaped = fault.fault is not None or fault.dribble is not None
    if fault.fault in faults.BREAKS_BEFORE_RESPONSE:
        return FaultyResponse(Response(b""), fault)
    try:
        error = fault.exception()
        if error is not None:
            raise error
        response = await _answer(request, runtime, prepared, problem)
    except EigenMockError as exc:
        if not shaped:
            raise
        response = error_response(exc, request_id_of(request.scope))
    return FaultyResponse(response, fault) if shaped else response


async def _answer(
    request: Request, runtime: Runtime, prepared: Prepared | None, problem: EigenMockError | None
) -> Response:
    if problem is not None or prepared is None:
        raise problem or NotFound("no request")
    raw = prepared.raw
    if runtime.replayer is not None:
        replayed = await _replayed(request, runtime, raw)
        if replayed is not None:
            return replayed
    catalog = runtime.catalog
    plan = prepared.plan(catalog, lambda: rules.plan(runtime.validator.validate(raw), raw.uploads, catalog))
    request_id = request_id_of(request.scope)
    if _renders_in_a_blink(plan):
        generation = runtime.generate(plan, request_id)
    else:
        generation = await to_thread.run_sync(runtime.generate, plan, request_id, limiter=runtime.render_limiter)
    draft = draft_of(request.scope)
    draft.mode, draft.image_sha256 = plan.mode, generation.image.sha256
    return generation_response(generation)


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
