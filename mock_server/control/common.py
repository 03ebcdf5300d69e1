"""What every control-plane handler shares: the ``/_mock`` prefix, the token guard, body parsing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response

from mock_server.errors import InvalidJson
from mock_server.http.auth import check_bearer
from mock_server.runtime import Runtime, runtime_of

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
