"""``create_app(settings)``: the route table, middleware order and error rendering.

Layers, outermost first: ``MockApp`` (hands uvicorn's transport to fault injection) →
``RequestContextMiddleware`` (request id, access log, last-resort 500) → ``JournalMiddleware``
(one journal record per public request) → Starlette's exception middleware (renders
``EigenMockError`` and maps Starlette's own 404/405 onto the contract's error shape) → the
routes. ``POST /api/v1/generate`` takes a shorter way through the same two middlewares of ours
(see ``MockApp``). Handlers live in ``endpoints.py`` and ``control.py`` (or ``proxy.py`` when
forwarding to another server); the rules they call know nothing of HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.control.routes import control_routes
from mock_server.errors import EigenMockError, InternalError, MethodNotAllowed, NotFound
from mock_server.faults.responses import TRANSPORT_KEY, transport_from_send
from mock_server.http.context import RequestContextMiddleware, request_id_of
from mock_server.http.endpoints import HANDLERS
from mock_server.http.responses import error_response
from mock_server.journal.middleware import JournalMiddleware
from mock_server.proxy.routes import proxy_routes
from mock_server.runtime import Runtime
from mock_server.settings import Settings
from mock_server.spec import OPERATION_PATH, Spec


class ResolverError(LookupError):
    """The spec names an operationId that has no handler (raised at start-up)."""


class MockApp(Starlette):
    """The Starlette app, plus two things only the outermost layer can do.

    uvicorn's ``send`` is a method of its per-request cycle, which holds the connection's
    transport; every middleware wraps ``send``, so only here can the transport be found. Fault
    injection needs it to reset or close a connection for real (``fault_responses.py``).

    The public operation is the one request a load test sends over and over, and it needs none of
    Starlette's own layers (its error and exception middleware, the router, the request-response
    wrapper): they cost a seventh of a repeated request. So ``operation_handler``, when set,
    answers ``POST`` to the operation's path through the app's middleware (``add_middleware``
    included) and the handler alone; the handler's errors are rendered as the exception middleware
    would render them, and anything unexpected is the context middleware's 500, as on the long
    way. Other methods and paths take the long way, to Starlette's 404 and 405.
    """

    operation_handler: Callable[[Request], Awaitable[Response]] | None = None
    _operation: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = transport_from_send(send)
            if transport is not None:
                scope[TRANSPORT_KEY] = transport
            if self.operation_handler is not None and scope["method"] == "POST" and scope["path"] == OPERATION_PATH \
                    and not scope.get("root_path"):  # fmt: skip
                scope["app"] = self
                if self.middleware_stack is None:
                    self.middleware_stack = self.build_middleware_stack()
                assert self._operation is not None
                await self._operation(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack and, beside it, the operation's short way through the same middleware."""
        if self.operation_handler is not None:
            self._operation = _wrapped(_operation(self.operation_handler), self.user_middleware)
        return super().build_middleware_stack()


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the mock server.

    Parameters:
        settings: configuration; ``None`` reads ``EIGEN_MOCK_*`` from the environment.
    """
    settings = Settings.from_env() if settings is None else settings
    runtime = Runtime.build(settings)
    app = MockApp(
        routes=_routes(runtime.spec, settings),
        middleware=[
            Middleware(RequestContextMiddleware, access_log=settings.access_log),
            Middleware(JournalMiddleware, journal=runtime.journal),
        ],
        exception_handlers={EigenMockError: _render, HTTPException: _render_http},
    )
    # The contract has one path; "/api/v1/generate/" is another path (404), not a redirect.
    app.router.redirect_slashes = False
    app.state.runtime = runtime
    if settings.proxy_target is None:  # a proxy forwards the operation, by its own routes
        app.operation_handler = HANDLERS["generate"]
    return app


def _operation(handler: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
    """``handler`` as an ASGI app, its errors rendered as the exception middleware renders them."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except EigenMockError as exc:
            response = await _render(request, exc)
        except HTTPException as exc:
            response = await _render_http(request, exc)
        await response(scope, receive, send)

    return app


def _wrapped(app: ASGIApp, middleware: Sequence[Middleware]) -> ASGIApp:
    """``app`` inside ``middleware``, the first outermost (as Starlette stacks them)."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (worker processes rebuild settings from the environment)."""
    return create_app(Settings.from_env())


def _routes(spec: Spec, settings: Settings) -> list[BaseRoute]:
    missing = sorted(spec.operation_ids - set(HANDLERS))
    if missing:
        raise ResolverError(f"the spec names operations without a handler: {missing}")
    control = control_routes() if settings.control_enabled else []
    if settings.proxy_target is not None:
        return control + proxy_routes()  # the control plane first: the proxy takes every other path
    return [Route(OPERATION_PATH, HANDLERS["generate"], methods=["POST"]), *control]


async def _render(request: Request, exc: Exception) -> Response:
    error = exc if isinstance(exc, EigenMockError) else InternalError("internal error")
    return error_response(error, request_id_of(request.scope))


async def _render_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: EigenMockError
    if exc.status_code == 404:
        error = NotFound(f"no such path: {request.scope['path'][:200]}")
    elif exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "POST")
        error = MethodNotAllowed(f"{request.method} is not allowed here; use {allow}", headers={"Allow": allow})
    else:
        error = InternalError("internal error")
    return error_response(error, request_id_of(request.scope))
