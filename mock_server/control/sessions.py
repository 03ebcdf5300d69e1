"""Control-plane handlers for sessions: ``GET /_mock/sessions``, ``PUT/DELETE /_mock/sessions/{name}``.

A session exists once a request or a control call names it; ``PUT`` opens it explicitly, to bind
API keys to it or give it a latency; ``DELETE`` resets and forgets it. Thin: parse, call
``Sessions``, serialise.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.control.common import guard, json_body, no_content
from mock_server.errors import InvalidParameter, NotFound
from mock_server.runtime import runtime_of
from mock_server.sessions import SessionError


async def list_sessions(request: Request) -> Response:
    guard(request)
    sessions = runtime_of(request).sessions
    return JSONResponse({"sessions": [sessions.describe(name) for name in sessions.names()]})


async def open_session(request: Request) -> Response:
    """``{"api_keys": [...], "latency": "model"}``, both optional."""
    guard(request)
    document: Any = await json_body(request, absent={})
    if not isinstance(document, dict) or set(document) - {"api_keys", "latency"}:
        raise InvalidParameter('send {"api_keys": ["key", ...], "latency": "model"} (both optional)', param=None)
    keys, latency = document.get("api_keys", []), document.get("latency")
    if not isinstance(keys, list) or not all(isinstance(key, str) and key for key in keys):
        raise InvalidParameter("api_keys must be a list of API keys", param="api_keys")
    if latency is not None and not isinstance(latency, str):
        raise InvalidParameter("latency must be text: model, 2, 500ms or 1-3", param="latency")
    try:
        opened = runtime_of(request).sessions.open(request.path_params["name"], api_keys=keys, latency=latency)
    except SessionError as exc:
        raise InvalidParameter(str(exc), param="session") from None
    return JSONResponse(opened)


async def close_session(request: Request) -> Response:
    guard(request)
    name = request.path_params["name"]
    try:
        closed = runtime_of(request).sessions.close(name)
    except SessionError as exc:
        raise InvalidParameter(str(exc), param="session") from None
    if not closed:
        raise NotFound(f"no session {name[:64]!r}")
    return no_content()
