"""The control plane under ``/_mock/``: health, specs, model library, reset, and the route table.

Not part of the public spec: it has its own, ``openapi/control.yaml``. It answers without the
public API key; ``Settings.control_token`` puts it behind a token of its own (sent as
``Authorization: Bearer <token>``, or as ``?token=`` where a browser cannot set headers: the
gallery), and ``Settings.control_enabled`` turns it off (every ``/_mock/`` path is then a 404).
Every route checks ``Host`` and ``Origin`` first (``origins.py``: DNS rebinding and cross-site
requests). A body is read only if it is declared JSON (YAML too for the model library: neither is
a type a page can send cross-site without a preflight), up to ``max_control_body_bytes``, and
parsed off the event loop (``control_documents.py``).
Journal, faults and rate limit are in ``control_traffic.py``; the gallery in ``gallery.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import control_documents, origins, parsing, resources
from .auth import check_bearer
from .catalog import CatalogError
from .errors import Forbidden, InvalidParameter, UnsupportedMediaType
from .request_headers import headers_of
from .runtime import Runtime, runtime_of

PREFIX = "/_mock"


#: Media types a control-plane body may be declared as (YAML only where the route takes it).
_JSON_TYPES = frozenset({"application/json"})
_YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
#: What a page may send cross-site without a CORS preflight: never a control-plane write.
_SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
_READS = frozenset({"GET", "HEAD"})


def guard(request: Request) -> None:
    """Refuse a request from a foreign ``Host`` or ``Origin`` (403), or without the control token
    (401, when one is configured)."""
    headers = headers_of(request.scope)
    server = request.scope.get("server")
    refusal = origins.refusal(server[0] if server else None, headers.get("host"), headers.get("origin"))
    if refusal is not None:
        raise Forbidden(refusal)
    if request.method not in _READS and _essence(headers.get("content-type")) in _SIMPLE_TYPES:
        raise UnsupportedMediaType("a control-plane write takes application/json (or no body), not a form or text")
    token = runtime_of(request).settings.control_token
    if not token:
        return
    header = request.headers.get("authorization")
    if header is None and "token" in request.query_params:
        header = f"Bearer {request.query_params['token']}"
    check_bearer(header, (token,))


async def json_body(request: Request, *, allow_yaml: bool = False) -> Any:
    """The request's JSON body (or YAML, a superset, where allowed) as plain data: ``415`` unless
    declared so, ``413`` past the limit, ``400 invalid_json`` if it is not plain JSON data."""
    essence = _essence(headers_of(request.scope).get("content-type"))
    allowed = _JSON_TYPES | (_YAML_TYPES if allow_yaml else frozenset())
    if essence not in allowed and not essence.endswith("+json"):
        shown = essence or "no Content-Type"
        raise UnsupportedMediaType(f"{shown} is not accepted here: send {' or '.join(sorted(allowed))}")
    body = await parsing.read_body(request, runtime_of(request).settings.max_control_body_bytes)
    if len(body) < 4096:  # a thread hop costs more than parsing a small document
        return control_documents.parse(body, allow_yaml=allow_yaml)
    return await to_thread.run_sync(lambda: control_documents.parse(body, allow_yaml=allow_yaml))


def _essence(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


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
    """Routes from ``(method, path, endpoint)`` rows (one method per row: one handler per operation)."""
    return [Route(prefix + path, endpoint, methods=[method]) for method, path, endpoint in table]


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
    try:  # checking a library takes a while for a large one: off the event loop too
        catalog = await to_thread.run_sync(runtime_of(request).models.replace, document)
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
