"""The validation proxy (and recorder): forward every public request to ``Settings.proxy_target``.

Each exchange is checked against the spec on the way, request (``validation.py``, as the mock
itself would) and answer (``conformance.py``). What breaks the spec is reported to the client in
``X-Eigen-Mock-Violation`` headers (one per problem, with ``X-Eigen-Mock-Violations`` giving the
count, 0 when clean) and kept in the journal; the answer itself is passed on unchanged. With
``Settings.record_dir`` every exchange is also written to a cassette, as the server sent it.
"""

from __future__ import annotations

import hashlib
import re

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mock_server.datatypes import RawRequest
from mock_server.errors import EigenMockError
from mock_server.http import parsing
from mock_server.http.endpoints import parse_body
from mock_server.journal.middleware import draft_of
from mock_server.journal.summary import redact_headers, summarize
from mock_server.proxy.cassette import Interaction, RecordedResponse, request_key
from mock_server.proxy.forwarding import UpstreamResponse
from mock_server.proxy.replay import matching_key
from mock_server.proxy.responses import passthrough_response
from mock_server.runtime import Runtime, runtime_of
from mock_server.spec import OPERATION_PATH

VIOLATION_HEADER, COUNT_HEADER = "X-Eigen-Mock-Violation", "X-Eigen-Mock-Violations"
_MAX_REPORTED = 20
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def forward(request: Request) -> Response:
    runtime = runtime_of(request)
    assert runtime.forwarder is not None, "proxy routes need Settings.proxy_target"
    body = await parsing.read_body(request, runtime.settings.max_body_bytes)
    draft = draft_of(request.scope)
    draft.source = "proxy"
    raw, request_problems = await inspect_request(request, runtime, body)
    query = request.url.query
    upstream = await runtime.forwarder.forward(request.method, request.url.path, query, request.headers.items(), body)
    headers = {name.lower(): value for name, value in upstream.headers}
    response_problems = runtime.checker.check(request.method, request.url.path, upstream.status, headers,
                                              upstream.body, request_valid=not request_problems)
    draft.violations = [{"where": "request", "message": text} for text in request_problems] + [
        {"where": "response", "message": text} for text in response_problems]
    draft.image_sha256 = await to_thread.run_sync(runtime.thumbnailer.submit_answer, headers.get("content-type"),
                                                  upstream.body)
    if runtime.cassette is not None:
        await to_thread.run_sync(runtime.cassette.record, _interaction(request, runtime, raw, body, upstream))
    response = passthrough_response(upstream.status, upstream.headers, upstream.body)
    _report(response, draft.violations)
    return response


async def inspect_request(request: Request, runtime: Runtime, body: bytes) -> tuple[RawRequest | None, list[str]]:
    """The parsed request (if it parses) and what in it breaks the spec."""
    if (request.method, request.url.path) != ("POST", OPERATION_PATH):
        return None, [f"{request.method} {request.url.path} is not an operation of the spec"]
    problems = [] if _bearer(request.headers.get("authorization")) else ["no 'Authorization: Bearer <key>' header"]
    try:
        kind = parsing.media_kind(request.headers.get("content-type"))
        raw = await parse_body(request, kind, body, runtime.settings.max_body_bytes)
    except EigenMockError as exc:
        return None, [*problems, f"{exc.code}: {exc.message}"]
    draft_of(request.scope).note_request(summarize(raw))
    try:
        runtime.validator.validate(raw)
    except EigenMockError as exc:
        problems.append(f"{exc.code}: {exc.message}")
    return raw, problems


def _bearer(header: str | None) -> bool:
    scheme, _, token = (header or "").strip().partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _interaction(request: Request, runtime: Runtime, raw: RawRequest | None, body: bytes,
                 upstream: UpstreamResponse) -> Interaction:
    method, path = request.method, request.url.path
    if raw is None:  # unparsable: recorded under its body's hash, so it can never match another request
        key = request_key(method, path, {"body_sha256": hashlib.sha256(body).hexdigest()}, [])
        params, files = {}, []
    else:
        key = matching_key(method, path, raw, runtime.validator)
        summary = summarize(raw)
        params, files = summary.params, [part.to_json() for part in summary.files]
    described = {"method": method, "path": path, "query": request.url.query, "params": params, "files": files,
                 "headers": redact_headers(request.headers.items())}
    return Interaction(key, described, RecordedResponse(upstream.status, upstream.headers, upstream.body))


def _report(response: Response, violations: list[dict[str, str]]) -> None:
    response.raw_headers.append((COUNT_HEADER.lower().encode(), str(len(violations)).encode()))
    for violation in violations[:_MAX_REPORTED]:
        text = re.sub(r"[^\x20-\x7e]", "?", f"{violation['where']}: {violation['message']}")[:300]
        response.raw_headers.append((VIOLATION_HEADER.lower().encode(), text.encode("ascii")))


def proxy_routes() -> list[BaseRoute]:
    return [Route("/{path:path}", forward, methods=_METHODS)]
