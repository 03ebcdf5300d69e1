"""Any ASGI app on a real uvicorn socket in a background thread, started and stopped in bounded time.

Binds 127.0.0.1 on a free port before uvicorn starts (so the URL is known at once), waits until
uvicorn says it is serving, and on stop asks it to exit, then forces it. ``MockServer`` runs the
mock this way; tests use it for other apps too (a server that breaks the spec, for the proxy).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


class ServerStartError(RuntimeError):
    """The server did not come up within its start-up timeout."""


class _ThreadedUvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Signals belong to the main thread's owner, not to a server in a thread."""


class ThreadedServer:
    """Parameters: ``app`` (ASGI); ``start_timeout`` in seconds."""

    def __init__(self, app: Any, *, start_timeout: float = 10.0) -> None:
        self.app = app
        self._start_timeout = start_timeout
        self._server: _ThreadedUvicorn | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        assert self._socket is not None, "the server is not started"
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> ThreadedServer:
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only for sockets that say they are TCP,
        # and without that every request on a kept-alive connection waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = _ThreadedUvicorn(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="eigen-mock", daemon=True
        )
        self._thread.start()
        self._wait_started()
        return self

    def _wait_started(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._server is not None and self._server.started:
                return
            if self._thread is not None and not self._thread.is_alive():
                break
            time.sleep(0.005)
        self.stop()
        raise ServerStartError(f"the server did not start within {self._start_timeout:g} s")

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
