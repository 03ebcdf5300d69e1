"""The control plane under ``/_mock/``: health, specs, model library, reset.

Not part of the public spec: it has its own, ``openapi/control.yaml``. It answers without the
public API key; ``Settings.control_token`` puts it behind a token of its own (sent as
``Authorization: Bearer <token>``, or as ``?token=`` where a browser cannot set headers: the
gallery), and ``Settings.control_enabled`` turns it off (every ``/_mock/`` path is then a 404).
Journal, faults and rate limit are in ``traffic.py``, the gallery in ``gallery/routes.py``; the whole
route table is in ``routes.py``.
"""

from __future__ import annotations

import json
import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server import resources
from mock_server.control.common import action, guard, json_body
from mock_server.errors import InvalidParameter
from mock_server.generation.library import CatalogError
from mock_server.runtime import Runtime, runtime_of


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
