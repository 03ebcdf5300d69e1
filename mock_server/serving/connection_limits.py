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
import weakref
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mock_server.settings import Settings

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
    """uvicorn's httptools protocol, with a deadline for each request's headers and body.

    A request only notes when its part is due (a float: two loop timers per request cost more than
    the rest of our middleware, see benchmarks/notes.md); one sweep per server, a few times a
    second while any connection is open, closes the connections past their deadline."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._limits: ConnectionLimits = getattr(config, _LIMITS, None) or ConnectionLimits()
        self._due: float | None = None  #: loop time by which ``_part`` must have arrived
        self._part = "headers"

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect("headers", self._limits.header_timeout)
        _Sweep.watch(self)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._due is None:  # a later request on the connection: its first byte starts the clock
            self._expect("headers", self._limits.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._expect("body", self._limits.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._due = None

    def _expect(self, part: str, seconds: float) -> None:
        self._part, self._due = part, self.loop.time() + seconds

    def expire_if_late(self, now: float) -> None:
        if self._due is None or now < self._due or self.transport.is_closing():
            return
        self._due = None
        seconds = self._limits.header_timeout if self._part == "headers" else self._limits.body_timeout
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info(
            "closed the connection of %s: the request's %s did not arrive within %g s", client, self._part, seconds
        )
        self.transport.close()


class _Sweep:
    """Closes the late connections of one server, every ``interval`` seconds while it has any."""

    _running: weakref.WeakKeyDictionary[Any, _Sweep] = weakref.WeakKeyDictionary()

    def __init__(self, connections: set[Any], loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self._connections, self._loop, self._interval = connections, loop, interval

    @classmethod
    def watch(cls, protocol: TimedHttpProtocol) -> None:
        """Make sure the server of ``protocol`` is swept (its connections are one set per server)."""
        state = protocol.server_state
        if state not in cls._running:
            limits = protocol._limits
            interval = min(max(min(limits.header_timeout, limits.body_timeout) / 4, 0.05), 1.0)
            cls._running[state] = sweep = cls(protocol.connections, protocol.loop, interval)
            sweep._schedule()

    def _schedule(self) -> None:
        self._loop.call_later(self._interval, self._run)

    def _run(self) -> None:
        now = self._loop.time()
        for connection in list(self._connections):
            if isinstance(connection, TimedHttpProtocol):
                connection.expire_if_late(now)
        if self._connections:
            self._schedule()
        else:  # idle: the next connection starts it again
            for state, sweep in list(self._running.items()):
                if sweep is self:
                    del self._running[state]
