"""Testing helpers: ``MockServer`` (a real socket) and ``transport()`` (no socket at all).

``MockServer`` runs the mock on uvicorn in a background thread, for end-to-end tests and for
users' own test suites, whatever their client is written in: it binds 127.0.0.1 on a free port,
waits (bounded) until it answers, and stops cleanly. With ``s3=True`` an embedded moto S3 comes
with it and the server is configured to use it. Both offer the control API of
``controls.MockControls`` (``requests``, ``fail``, ``reset`` …).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from mock_server.app import create_app
from mock_server.control.python_api import MockControls
from mock_server.runtime import Runtime
from mock_server.s3.embedded import EmbeddedS3
from mock_server.settings import DEFAULT_BUCKET, Settings
from mock_server.testing.httpx_transport import AsyncMockTransport, MockTransport
from mock_server.testing.threaded_server import ServerStartError, ThreadedServer

__all__ = ["AsyncMockTransport", "MockServer", "MockTransport", "ServerStartError", "ThreadedServer", "async_transport",
           "transport"]


def transport(settings: Settings | None = None) -> MockTransport:
    """An ``httpx`` transport over a fresh mock, in process: ``httpx.Client(transport=transport())``."""
    return MockTransport(settings)


def async_transport(settings: Settings | None = None) -> AsyncMockTransport:
    """The same for ``httpx.AsyncClient``."""
    return AsyncMockTransport(settings)


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
        self._server: ThreadedServer | None = None
        self.settings = self._settings

    @property
    def url(self) -> str:
        assert self._server is not None, "MockServer is not started"
        return self._server.url

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
        return self._server.app

    def start(self) -> MockServer:
        if self._s3 is not None:
            self._s3.start()
            self.settings = self._settings.replace(s3_endpoint_url=self._s3.endpoint_url)
        try:
            self._server = ThreadedServer(create_app(self.settings), start_timeout=self._start_timeout).start()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.stop(timeout)
        if self._s3 is not None:
            self._s3.stop()
        self._server = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
