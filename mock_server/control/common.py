"""What every control-plane handler shares: the ``/_mock`` prefix, the guard, body parsing.

Every route checks ``Host`` and ``Origin`` first (``origins.py``: DNS rebinding and cross-site
requests), then the control token. A body is read only if it is declared JSON (YAML too for the
model library: neither is a type a page can send cross-site without a preflight), up to
``max_control_body_bytes``, and parsed off the event loop when it is not small (``documents.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from mock_server.control import documents, origins
from mock_server.errors import Forbidden, InvalidParameter, NotFound, UnsupportedMediaType
from mock_server.http import parsing
from mock_server.http.auth import check_bearer
from mock_server.http.headers import headers_of
from mock_server.runtime import Runtime, runtime_of
from mock_server.sessions import Session, SessionError

PREFIX = "/_mock"


#: Media types a control-plane body may be declared as (YAML only where the route takes it).
_JSON_TYPES = frozenset({"application/json"})
_YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
#: What a page may send cross-site without a CORS preflight: never a control-plane write.
_SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
_READS = frozenset({"GET", "HEAD"})


def guard(request: Request) -> None:
    """Refuse a request from a foreign ``Host`` or ``Origin`` (403), a write sent as text or a form
    (415), one without the control token (401, when one is configured), or one whose ``session``
    parameter cannot name a session (every route takes one)."""
    headers = headers_of(request.scope)
    server = request.scope.get("server")
    refusal = origins.refusal(server[0] if server else None, headers.get("host"), headers.get("origin"))
    if refusal is not None:
        raise Forbidden(refusal)
    if request.method not in _READS and _essence(headers.get("content-type")) in _SIMPLE_TYPES:
        raise UnsupportedMediaType("a control-plane write takes application/json (or no body), not a form or text")
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


#: ``json_body``'s ``absent`` when a body must be sent.
_REQUIRED: Any = object()


async def json_body(request: Request, *, allow_yaml: bool = False, absent: Any = _REQUIRED) -> Any:
    """The request's JSON body (or YAML, a superset, where allowed) as plain data: ``415`` unless
    declared so, ``413`` past the limit, ``400 invalid_json`` if it is not plain JSON data. Where a
    body may be left out (no bytes at all), that is ``absent`` (a JSON ``null`` is not)."""
    body = await parsing.read_body(request, runtime_of(request).settings.max_control_body_bytes)
    if not body and absent is not _REQUIRED:
        return absent
    essence = _essence(headers_of(request.scope).get("content-type"))
    allowed = _JSON_TYPES | (_YAML_TYPES if allow_yaml else frozenset())
    if essence not in allowed and not essence.endswith("+json"):
        shown = essence or "no Content-Type"
        raise UnsupportedMediaType(f"{shown} is not accepted here: send {' or '.join(sorted(allowed))}")
    if len(body) < 4096:  # a thread hop costs more than parsing a small document
        return documents.parse(body, allow_yaml=allow_yaml)
    return await to_thread.run_sync(lambda: documents.parse(body, allow_yaml=allow_yaml))


def _essence(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def json_items(request: Request) -> list[Any]:
    """A JSON body holding one object or a non-empty list of them, as a list."""
    document = await json_body(request)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise InvalidParameter("send one object, or a list of at least one", param=None)
    return items


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
