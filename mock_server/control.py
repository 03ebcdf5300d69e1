"""The control plane under ``/_mock/``: health, the spec and the model library.

Not part of the public spec (see ``openapi/control.yaml``). It answers without the public API
key; ``Settings.control_token`` puts it behind a token of its own, and
``Settings.control_enabled`` turns it off (every ``/_mock/`` path is then a 404).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import resources
from .auth import check_bearer
from .runtime import runtime_of

PREFIX = "/_mock"


def _guard(request: Request) -> None:
    token = runtime_of(request).settings.control_token
    check_bearer(request.headers.get("authorization"), (token,) if token else ())


async def health(request: Request) -> Response:
    _guard(request)
    runtime = runtime_of(request)
    return JSONResponse({"status": "ok", "models": len(runtime.catalog.models), "s3": runtime.settings.s3_endpoint_url})


async def openapi_yaml(request: Request) -> Response:
    _guard(request)
    return Response(resources.spec_path().read_bytes(), media_type="application/yaml")


async def openapi_json(request: Request) -> Response:
    _guard(request)
    return Response(json.dumps(runtime_of(request).spec.document), media_type="application/json")


async def models(request: Request) -> Response:
    _guard(request)
    return JSONResponse(runtime_of(request).catalog.to_json())


def control_routes() -> list[BaseRoute]:
    return [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/openapi.yaml", openapi_yaml, methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", openapi_json, methods=["GET"]),
        Route(f"{PREFIX}/models", models, methods=["GET"]),
    ]
