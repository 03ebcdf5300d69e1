"""Any ASGI app (a planted bug wraps the mock's app) on uvicorn, 127.0.0.1 and a free port, in a thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from starlette.types import ASGIApp

from mock_server.testing.threaded_server import ThreadedServer


@contextlib.contextmanager
def serve(app: ASGIApp, start_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` and yield its base URL; started and stopped in bounded time."""
    with ThreadedServer(app, start_timeout=start_timeout) as server:
        yield server.url
