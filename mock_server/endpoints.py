"""One handler per ``operationId`` of the public spec: parse, validate, plan, generate, respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from . import faults, parsing, rules
from .auth import check_bearer
from .context import request_id_of
from .datatypes import RawRequest
from .responses import generation_response
from .runtime import Runtime, runtime_of


async def generate(request: Request) -> Response:
    runtime = runtime_of(request)
    check_bearer(request.headers.get("authorization"), runtime.settings.api_keys)
    faults.apply_header(request.headers.get(faults.FAULT_HEADER))
    raw = await read_request(request, runtime)
    params = runtime.validator.validate(raw)
    plan = rules.plan(params, raw.uploads, runtime.catalog)
    generation = await to_thread.run_sync(runtime.generator.generate, plan, request_id_of(request.scope))
    return generation_response(generation)


async def read_request(request: Request, runtime: Runtime) -> RawRequest:
    kind = parsing.media_kind(request.headers.get("content-type"))
    limit = runtime.settings.max_body_bytes
    body = await parsing.read_body(request, limit)
    if kind == "json":
        return parsing.parse_json(body)
    return await parsing.parse_multipart(request, body, max_part_bytes=limit)


#: operationId → handler; ``create_app`` refuses to start if the spec names one that is missing.
HANDLERS: dict[str, Callable[[Request], Awaitable[Response]]] = {"generate": generate}
