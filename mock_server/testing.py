"""Testing helpers: ``MockServer`` (a real socket) and ``transport()`` (no socket at all).

``MockServer`` runs the mock on uvicorn in a background thread, for end-to-end tests and for
users' own test suites, whatever their client is written in: it binds 127.0.0.1 on a free port,
waits (bounded) until it answers, and stops cleanly. With ``s3=True`` an embedded moto S3 comes
with it and the server is configured to use it. Both offer the control API of
``controls.MockControls`` (``requests``, ``fail``, ``reset`` …).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .controls import MockControls
from .embedded_s3 import EmbeddedS3
from .runtime import Runtime
from .settings import DEFAULT_BUCKET, Settings
from .transport import AsyncMockTransport, MockTransport

__all__ = ["AsyncMockTransport", "MockServer", "MockTransport", "ServerStartError", "async_transport", "transport"]


def transport(settings: Settings | None = None) -> MockTransport:
    """An ``httpx`` transport over a fresh mock, in process: ``httpx.Client(transport=transport())``."""
    return MockTransport(settings)


def async_transport(settings: Settings | None = None) -> AsyncMockTransport:
    """The same for ``httpx.AsyncClient``."""
    return AsyncMockTransport(settings)


class ServerStartError(RuntimeError):
    """The server did not come up within its start-up timeout."""


class _ThreadedUvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Signals belong to the main thread's owner, not to a server in a thread."""


class MockServer(MockControls):
    """Run the mock on ``127.0.0.1`` in this process.

    Parameters:
        settings: the mock's settings (default ``Settings()``); ``s3_endpoint_url`` is filled in
            when ``s3`` is true.
        s3: start an embedded S3 (moto) with a bucket named ``bucket``.
        start_timeout: seconds to wait for the socket to answer.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        s3: bool = False,
        bucket: str = DEFAULT_BUCKET,
        start_timeout: float = 10.0,
    ) -> None:
        self._settings = settings or Settings(access_log=False)
        self._s3 = EmbeddedS3(bucket=bucket) if s3 else None
        self._start_timeout = start_timeout
        self._server: _ThreadedUvicorn | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.settings = self._settings

    @property
    def url(self) -> str:
        assert self._socket is not None, "MockServer is not started"
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def api_key(self) -> str:
        return self.settings.api_keys[0] if self.settings.api_keys else ""

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <api_key>`` (empty when authentication is off)."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    @property
    def bucket(self) -> str | None:
        """The embedded S3's bucket (``None`` without ``s3=True``)."""
        return None if self._s3 is None else self._s3.bucket

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def s3_endpoint_url(self) -> str | None:
        return self.settings.s3_endpoint_url

    @property
    def app(self) -> Any:
        assert self._server is not None, "MockServer is not started"
        return self._server.config.app

    def start(self) -> MockServer:
        if self._s3 is not None:
            self._s3.start()
            self.settings = self._settings.replace(s3_endpoint_url=self._s3.endpoint_url)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(create_app(self.settings), log_level="warning", access_log=False, lifespan="off")
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
        raise ServerStartError(f"eigen-mock did not start within {self._start_timeout:g} s")

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
        if self._s3 is not None:
            self._s3.stop()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
