"""What every control-plane handler shares: the ``/_mock`` prefix, the token guard, body parsing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response

from mock_server.errors import InvalidJson, InvalidParameter, NotFound
from mock_server.http.auth import check_bearer
from mock_server.runtime import Runtime, runtime_of
from mock_server.sessions import Session, SessionError

PREFIX = "/_mock"


def guard(request: Request) -> None:
    """Refuse the request unless it carries the control token (when one is configured), or if its
    ``session`` parameter cannot name a session (every route takes one)."""
    token = runtime_of(request).settings.control_token
    if token:
        header = request.headers.get("authorization")
        if header is None and "token" in request.query_params:
            header = f"Bearer {request.query_params['token']}"
        check_bearer(header, (token,))
    if "session" in request.query_params:
        session_of(request)


def session_of(request: Request) -> Session:
    """The session a control request is about: ``?session=NAME``, else the default session."""
    name = request.query_params.get("session")
    try:
        return runtime_of(request).session(name)
    except SessionError as exc:
        raise InvalidParameter(str(exc), param="session") from None


async def json_body(request: Request, *, allow_yaml: bool = False) -> Any:
    """The request's JSON body (or YAML, a superset, where allowed); ``400 invalid_json`` otherwise."""
    body = await request.body()
    try:
        return yaml.safe_load(body) if allow_yaml else json.loads(body)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidJson(f"the body is not valid {'YAML or ' if allow_yaml else ''}JSON: {str(exc)[:200]}") from None


async def json_items(request: Request) -> list[Any]:
    """A JSON body holding one object or a list of them, as a list."""
    document = await json_body(request)
    return document if isinstance(document, list) else [document]


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


def session_action(do: Callable[[Session], object]) -> Endpoint:
    """A control route that does one thing to the session in ``?session=`` and answers ``204``."""

    async def endpoint(request: Request) -> Response:
        guard(request)
        do(session_of(request))
        return no_content()

    return endpoint


def removal(param: str, what: str, remove: Callable[[Session, str], bool]) -> Endpoint:
    """``DELETE .../{param}``: remove one thing from the session in ``?session=``; ``404`` if absent."""

    async def endpoint(request: Request) -> Response:
        guard(request)
        name = request.path_params[param]
        if not remove(session_of(request), name):
            raise NotFound(f"no {what} {name[:64]!r}")
        return no_content()

    return endpoint
