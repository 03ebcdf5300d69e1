"""The whole ``/_mock/`` route table, in one place (as moto's ``moto_api/_internal/urls.py``).

One row per operation of ``openapi/control.yaml``; a test checks the two agree. The handlers live in
``admin.py`` and ``traffic.py``, and the gallery's in ``mock_server/gallery/routes.py``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mock_server.control import admin, traffic
from mock_server.control.common import PREFIX
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
    ("DELETE", "/requests", traffic.clear_requests),
    ("GET", "/faults", traffic.list_faults),
    ("POST", "/faults", traffic.add_faults),
    ("DELETE", "/faults", traffic.clear_faults),
    ("DELETE", "/faults/{fault_id}", traffic.remove_fault),
    ("GET", "/rate-limit", traffic.get_rate_limit),
    ("PUT", "/rate-limit", traffic.set_rate_limit),
    ("DELETE", "/rate-limit", traffic.disable_rate_limit),
    ("GET", "/ui", gallery.page),
    ("GET", "/ui/calls", gallery.calls),
    ("GET", "/ui/static/{name}", gallery.asset),
    ("GET", "/ui/thumbnails/{sha256}.jpg", gallery.thumbnail),
]


def control_routes() -> list[BaseRoute]:
    """The control plane's routes (one method per row: one handler per operation)."""
    return [Route(PREFIX + path, endpoint, methods=[method]) for method, path, endpoint in TABLE]
