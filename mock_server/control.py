"""The control plane under ``/_mock/``: health, specs, model library, reset, and the route table.

Not part of the public spec: it has its own, ``openapi/control.yaml``. It answers without the
public API key; ``Settings.control_token`` puts it behind a token of its own (sent as
``Authorization: Bearer <token>``, or as ``?token=`` where a browser cannot set headers: the
gallery), and ``Settings.control_enabled`` turns it off (every ``/_mock/`` path is then a 404).
Journal, faults and rate limit are in ``control_traffic.py``; the gallery in ``gallery.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import resources
from .auth import check_bearer
from .catalog import CatalogError
from .errors import InvalidJson, InvalidParameter
from .runtime import Runtime, runtime_of

PREFIX = "/_mock"


def guard(request: Request) -> None:
    """Refuse the request unless it carries the control token (when one is configured)."""
    token = runtime_of(request).settings.control_token
    if not token:
        return
    header = request.headers.get("authorization")
    if header is None and "token" in request.query_params:
        header = f"Bearer {request.query_params['token']}"
    check_bearer(header, (token,))


async def json_body(request: Request, *, allow_yaml: bool = False) -> Any:
    """The request's JSON body (or YAML, a superset, where allowed); ``400 invalid_json`` otherwise."""
    body = await request.body()
    try:
        return yaml.safe_load(body) if allow_yaml else json.loads(body)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidJson(f"the body is not valid {'YAML or ' if allow_yaml else ''}JSON: {str(exc)[:200]}") from None


Endpoint = Callable[[Request], Awaitable[Response]]


def no_content() -> Response:
    return Response(status_code=204)


def action(do: Callable[[Runtime], object]) -> Endpoint:
    """A control route that does one thing to the runtime and answers ``204``."""

    async def endpoint(request: Request) -> Response:
        guard(request)
        do(runtime_of(request))
        return no_content()

    return endpoint


def route_table(prefix: str, table: Iterable[tuple[str, str, Endpoint]]) -> list[BaseRoute]:
    """Routes from ``(method, path, endpoint)`` rows (one method per row: one handler per operation).

    One route per path, whatever its number of methods: Starlette answers 405 from the first route
    whose path matches, so with a route per row ``Allow`` named only that row's method."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for method, path, endpoint in table:
        by_path.setdefault(path, {})[method] = endpoint
    return [Route(prefix + path, _by_method(handlers), methods=sorted(handlers)) for path, handlers in by_path.items()]


def _by_method(handlers: dict[str, Endpoint]) -> Endpoint:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        # HEAD is answered as GET (Starlette adds it to a route that has GET, and drops the body).
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint


async def health(request: Request) -> Response:
    guard(request)
    runtime = runtime_of(request)
    return JSONResponse({"status": "ok", "models": len(runtime.catalog.models), "s3": runtime.settings.s3_endpoint_url,
                         "mode": _mode(request), "pid": os.getpid()})


def _mode(request: Request) -> str:
    runtime = runtime_of(request)
    if runtime.settings.proxy_target is not None:
        return "record" if runtime.cassette is not None else "proxy"
    return "replay" if runtime.replayer is not None else "mock"


async def openapi_yaml(request: Request) -> Response:
    guard(request)
    return Response(resources.spec_path().read_bytes(), media_type="application/yaml")


async def openapi_json(request: Request) -> Response:
    guard(request)
    return Response(json.dumps(runtime_of(request).spec.document), media_type="application/json")


async def control_yaml(request: Request) -> Response:
    guard(request)
    return Response(resources.control_spec_path().read_bytes(), media_type="application/yaml")


async def models(request: Request) -> Response:
    guard(request)
    return JSONResponse(runtime_of(request).catalog.to_json())


async def replace_models(request: Request) -> Response:
    """``PUT``: a new model library for every worker, in the library file's shape or ``GET``'s."""
    guard(request)
    document = await json_body(request, allow_yaml=True)
    try:
        catalog = runtime_of(request).models.replace(document)
    except CatalogError as exc:
        raise InvalidParameter(str(exc)[:500], param="models") from None
    return JSONResponse(catalog.to_json())


#: Forget the journal, faults, rate-limit counts, thumbnails; restore the model library and seeds.
reset = action(Runtime.reset)


def control_routes() -> list[BaseRoute]:
    from .control_traffic import traffic_routes
    from .gallery import gallery_routes

    table = [
        ("GET", "/health", health),
        ("GET", "/openapi.yaml", openapi_yaml),
        ("GET", "/openapi.json", openapi_json),
        ("GET", "/control.yaml", control_yaml),
        ("GET", "/models", models),
        ("PUT", "/models", replace_models),
        ("POST", "/reset", reset),
    ]
    return route_table(PREFIX, table) + traffic_routes(PREFIX) + gallery_routes(PREFIX)
