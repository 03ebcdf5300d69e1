"""In-process httpx transports over the mock's ASGI app: no socket, no thread per server.

``AsyncMockTransport`` for ``httpx.AsyncClient`` and ``MockTransport`` for ``httpx.Client`` (it
runs the app on an event loop in one background thread, so delays stay asynchronous). Both offer
the control API of ``controls.MockControls``. A connection fault has no socket to break here, so
the app raises ``SimulatedNetworkFault`` and the transport raises the httpx exception a real
connection would have given (``ReadError`` for a reset, ``RemoteProtocolError`` for the rest).
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import httpx
from anyio.from_thread import BlockingPortal
from starlette.applications import Starlette

from mock_server.app import create_app
from mock_server.control.python_api import MockControls
from mock_server.faults.responses import SimulatedNetworkFault
from mock_server.runtime import Runtime
from mock_server.settings import Settings

#: What httpx says when a real server breaks the connection in each way.
_ERRORS: dict[str, tuple[type[httpx.TransportError], str]] = {
    "CONNECTION_RESET_BY_PEER": (httpx.ReadError, "[Errno 104] Connection reset by peer"),
    "EMPTY_RESPONSE": (httpx.RemoteProtocolError, "Server disconnected without sending a response."),
    "RANDOM_DATA_THEN_CLOSE": (httpx.RemoteProtocolError, "illegal status line"),
    "MALFORMED_RESPONSE_CHUNK": (httpx.RemoteProtocolError, "malformed chunked encoding"),
    "TRUNCATED_BODY": (httpx.RemoteProtocolError, "peer closed connection without sending complete message body"),
}


def _network_error(fault: SimulatedNetworkFault, request: httpx.Request) -> httpx.TransportError:
    cls, message = _ERRORS.get(fault.kind, (httpx.RemoteProtocolError, str(fault)))
    return cls(message, request=request)


class AsyncMockTransport(httpx.AsyncBaseTransport, MockControls):
    """``httpx.AsyncClient(transport=AsyncMockTransport())``: the mock, in this event loop.

    Parameters:
        settings: the mock's settings (default: no access log); ignored when ``app`` is given.
        app: an app from ``create_app`` to use instead of building one.
    """

    def __init__(self, settings: Settings | None = None, *, app: Starlette | None = None) -> None:
        self.app = app if app is not None else create_app(settings or Settings(access_log=False))
        self._asgi = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000))

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._asgi.handle_async_request(request)
        except SimulatedNetworkFault as exc:
            raise _network_error(exc, request) from None


class _LoopThread:
    """An event loop in a daemon thread, reached through a ``BlockingPortal``.

    Not anyio's ``start_blocking_portal``: its worker thread is not a daemon, so a transport its
    user forgot to close would keep the interpreter from exiting.
    """

    def __init__(self, start_timeout: float = 10.0) -> None:
        self._ready = threading.Event()
        self.portal: BlockingPortal | None = None
        self._thread = threading.Thread(target=anyio.run, args=(self._main,), name="eigen-mock-loop", daemon=True)
        self._thread.start()
        if not self._ready.wait(start_timeout):
            raise RuntimeError("the in-process transport's event loop did not start")

    async def _main(self) -> None:
        async with BlockingPortal() as portal:
            self.portal = portal
            self._ready.set()
            await portal.sleep_until_stopped()

    def stop(self, timeout: float = 5.0) -> None:
        if self.portal is not None:
            self.portal.call(self.portal.stop)
        self._thread.join(timeout)


class MockTransport(httpx.BaseTransport, MockControls):
    """``httpx.Client(transport=MockTransport())``: the mock, on an event loop in a background thread.

    Parameters: as ``AsyncMockTransport``. ``close()`` (called by ``Client.close()``) stops the loop.
    """

    def __init__(self, settings: Settings | None = None, *, app: Starlette | None = None) -> None:
        self._inner = AsyncMockTransport(settings, app=app)
        self.app = self._inner.app
        self._loop: _LoopThread | None = None
        self._lock = threading.Lock()

    @property
    def runtime(self) -> Runtime:
        return self._inner.runtime

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes: a sync stream cannot be read from the loop's thread
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
            portal = self._loop.portal
        assert portal is not None
        status, headers, body, extensions = portal.call(self._send, request)
        return httpx.Response(status, headers=headers, content=body, extensions=extensions, request=request)

    async def _send(self, request: httpx.Request) -> tuple[int, Any, bytes, dict[str, Any]]:
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers.multi_items(), body, dict(response.extensions)

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.stop()
