"""The whole ``/_mock/`` route table, in one place (as moto's ``moto_api/_internal/urls.py``).

One row per operation of ``openapi/control.yaml``; a test checks the two agree. The handlers live in
``admin.py``, ``traffic.py``, ``stubs.py`` and ``sessions.py``, and the gallery's in
``mock_server/gallery/routes.py``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mock_server.control import admin, sessions, stubs, traffic
from mock_server.control.common import PREFIX, Endpoint
from mock_server.gallery import routes as gallery

TABLE = [
    ("GET", "/health", admin.health),
    ("GET", "/openapi.yaml", admin.openapi_yaml),
    ("GET", "/openapi.json", admin.openapi_json),
    ("GET", "/control.yaml", admin.control_yaml),
    ("GET", "/models", admin.models),
    ("PUT", "/models", admin.replace_models),
    ("POST", "/reset", admin.reset),
    ("GET", "/requests", traffic.list_requests),
    ("GET", "/requests.har", traffic.requests_har),
    ("DELETE", "/requests", traffic.clear_requests),
    ("GET", "/faults", traffic.list_faults),
    ("POST", "/faults", traffic.add_faults),
    ("DELETE", "/faults", traffic.clear_faults),
    ("DELETE", "/faults/{fault_id}", traffic.remove_fault),
    ("GET", "/rate-limit", traffic.get_rate_limit),
    ("PUT", "/rate-limit", traffic.set_rate_limit),
    ("DELETE", "/rate-limit", traffic.disable_rate_limit),
    ("GET", "/stubs", stubs.list_stubs),
    ("POST", "/stubs", stubs.add_stubs),
    ("DELETE", "/stubs", stubs.clear_stubs),
    ("DELETE", "/stubs/{stub_id}", stubs.remove_stub),
    ("GET", "/sessions", sessions.list_sessions),
    ("PUT", "/sessions/{name}", sessions.open_session),
    ("DELETE", "/sessions/{name}", sessions.close_session),
    ("GET", "/ui", gallery.page),
    ("GET", "/ui/calls", gallery.calls),
    ("GET", "/ui/static/{name}", gallery.asset),
    ("GET", "/ui/thumbnails/{sha256}.jpg", gallery.thumbnail),
]


def control_routes() -> list[BaseRoute]:
    """The control plane's routes (one method per row: one handler per operation).

    One route per path, whatever its number of methods: Starlette answers 405 from the first route
    whose path matches, so with a route per row ``Allow`` named only that row's method."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for method, path, endpoint in TABLE:
        by_path.setdefault(path, {})[method] = endpoint
    return [Route(PREFIX + path, _by_method(handlers), methods=sorted(handlers)) for path, handlers in by_path.items()]


def _by_method(handlers: dict[str, Endpoint]) -> Endpoint:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        # HEAD is answered as GET (Starlette adds it to a route that has GET, and drops the body).
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
