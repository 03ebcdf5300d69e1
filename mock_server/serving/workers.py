"""Several uvicorn worker processes on one port, each with its own listening socket.

uvicorn's own supervisor hands one listening socket to all its workers. When a client opens many
connections at once (a test suite's pool, a load generator), the worker whose event loop wakes
first accepts most of the burst: 27 of 32 wrk connections went to one of two workers, which then
did the work of both while the other idled. Here every worker listens on a socket of its own,
all bound to the port with ``SO_REUSEPORT``, and the kernel spreads new connections across them.

``SO_REUSEPORT`` would also let a second server join the port silently, so the port is first
bound plainly: a port that is taken gives the usual "address already in use" (``OSError``).

A worker that dies (killed by the OOM killer, say) is replaced, as uvicorn's own supervisor does:
the new one serves the same socket (so connections queued on it are not lost), and the state every
worker shares lives in files that outlive any one of them. Workers that keep dying (more than
``_MAX_DEATHS`` in ``_DEATH_WINDOW_SECONDS``, a start-up that always fails) stop the server
instead. A stop gives the workers their graceful timeout, then a few seconds more, then kills them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from multiprocessing.process import BaseProcess

from uvicorn import Config, Server

log = logging.getLogger("eigen_mock")
# Spawned, not forked, as uvicorn does: a fork would copy locks that the embedded S3 server's
# threads may hold at that moment.
_SPAWN = multiprocessing.get_context("spawn")
multiprocessing.allow_connection_pickling()  # each child receives its listening socket
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_BACKLOG = 2048  # uvicorn's default
_MAX_DEATHS, _DEATH_WINDOW_SECONDS = 5, 60.0
_KILL_AFTER_GRACE_SECONDS = 5.0


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` (a free port if ``port`` is 0) in one SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))  # no SO_REUSEPORT: raises if anyone holds the port
        port = probe.getsockname()[1]
    sockets = []
    for _ in range(count):
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on connections whose socket
        # says it is TCP. With proto 0 a kept-alive connection now and then waited 40 ms for a
        # delayed ACK before the last segment of an answer went out.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


def serve(config: Config, sockets: Sequence[socket.socket], *, poll_seconds: float = 0.25) -> int:
    """Run one process of ``config`` per socket (``listening_sockets``) until SIGINT/SIGTERM (0), or
    until they keep dying (1). The caller binds the sockets, so a taken port is its error to report,
    and closes them after: a replacement worker is handed its dead predecessor's socket."""
    workers = len(sockets)
    children = [_worker(config, sock) for sock in sockets]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    deaths: deque[float] = deque()
    code = 0
    try:
        for child in children:
            child.start()
        log.info(
            "%d workers on port %d, one socket each (pids %s)",
            workers,
            sockets[0].getsockname()[1],
            ", ".join(str(child.pid) for child in children),
        )
        while not stop.wait(poll_seconds) and code == 0:
            for index, child in enumerate(children):
                if child.is_alive() or stop.is_set():
                    continue
                child.join()  # reaped
                if _too_many(deaths, time.monotonic()):
                    log.error(
                        "worker %s exited with %s, the %d. in %g s: stopping the server",
                        child.pid,
                        child.exitcode,
                        len(deaths),
                        _DEATH_WINDOW_SECONDS,
                    )
                    code = 1
                    break
                children[index] = _worker(config, sockets[index])
                children[index].start()
                log.warning(
                    "worker %s exited with %s: worker %s takes its socket",
                    child.pid,
                    child.exitcode,
                    children[index].pid,
                )
    finally:
        _stop(children, (config.timeout_graceful_shutdown or 0) + _KILL_AFTER_GRACE_SECONDS)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _worker(config: Config, sock: socket.socket) -> BaseProcess:
    """A worker process (not started) for ``sock``."""
    return _SPAWN.Process(target=_serve_one, args=(config, sock))


def _serve_one(config: Config, sock: socket.socket) -> None:
    """One worker process: uvicorn serving ``config`` on its own socket until told to stop."""
    config.configure_logging()  # a spawned process starts with no logging set up
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole group: the parent reports it
        Server(config).run(sockets=[sock])


def _too_many(deaths: deque[float], now: float) -> bool:
    """Count a death at ``now``; true when more than ``_MAX_DEATHS`` fall within the window."""
    deaths.append(now)
    while deaths and now - deaths[0] > _DEATH_WINDOW_SECONDS:
        deaths.popleft()
    return len(deaths) > _MAX_DEATHS


def _stop(children: Sequence[BaseProcess], timeout: float) -> None:
    for child in children:
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, signal.SIGTERM)
    for child in children:
        if child.pid is None:
            continue  # never started
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
