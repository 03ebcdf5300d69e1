"""How long a client may take to send a request, and a server to stop: uvicorn, bounded.

uvicorn holds a connection that never sends a byte, or whose body stops short of its
``Content-Length``, for ever (its keep-alive timeout only runs between two requests), so a few
hundred such connections (a slowloris) exhaust the process's file descriptors. ``TimedHttpProtocol``
is uvicorn's own httptools protocol with two deadlines: the headers of a request must be complete
``header_timeout`` seconds after the connection opened (or, for a later request on it, after its
first byte), and the whole body ``body_timeout`` seconds after the headers. Past a deadline the
connection is closed; a request already handed to the app then sees the client go, and is
journalled as unanswered.

``graceful_timeout`` bounds a stop: uvicorn waits that long for requests in flight, then cancels
them (an injected delay of up to ten minutes would otherwise hold SIGTERM that long); the
context middleware answers what was cut (``context.cut_at_shutdown``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import Settings

log = logging.getLogger("eigen_mock")
_LIMITS = "eigen_mock_limits"  # the attribute of uvicorn's Config that carries the limits to the protocol


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Seconds: for a request's headers, for its body, and for requests in flight at a stop."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0
    graceful_timeout: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.header_timeout, settings.body_timeout, settings.graceful_timeout)


def uvicorn_config(app: Any, limits: ConnectionLimits, **options: Any) -> uvicorn.Config:
    """uvicorn's ``Config`` for ``app`` with ``limits`` in force (it pickles, for worker processes)."""
    config = uvicorn.Config(app, http=TimedHttpProtocol, **options)
    config.timeout_graceful_shutdown = limits.graceful_timeout  # type: ignore[assignment]  # a float works (wait_for)
    setattr(config, _LIMITS, limits)
    return config


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for each request's headers and body."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._limits: ConnectionLimits = getattr(config, _LIMITS, None) or ConnectionLimits()
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._limits.header_timeout, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on the connection: its first byte starts the clock
            self._arm(self._limits.header_timeout, "headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self._limits.body_timeout, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def _arm(self, seconds: float, part: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, seconds, part)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, seconds: float, part: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info("closed the connection of %s: the request's %s did not arrive within %g s", client, part, seconds)
            self.transport.close()
