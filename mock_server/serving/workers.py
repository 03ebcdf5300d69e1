"""Several uvicorn worker processes on one port, each with its own listening socket.

uvicorn's own supervisor hands one listening socket to all its workers. When a client opens many
connections at once (a test suite's pool, a load generator), the worker whose event loop wakes
first accepts most of the burst: 27 of 32 wrk connections went to one of two workers, which then
did the work of both while the other idled. Here every worker listens on a socket of its own,
all bound to the port with ``SO_REUSEPORT``, and the kernel spreads new connections across them.

``SO_REUSEPORT`` would also let a second server join the port silently, so the port is first
bound plainly: a port that is taken gives the usual "address already in use". A worker that dies
stops the server: a mock should fail loudly rather than go on with fewer workers than asked for.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Sequence
from multiprocessing.process import BaseProcess

from uvicorn import Config, Server
from uvicorn._subprocess import get_subprocess

log = logging.getLogger("eigen_mock")
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_BACKLOG = 2048  # uvicorn's default


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


def serve(config: Config, workers: int, *, poll_seconds: float = 0.25) -> int:
    """Run ``workers`` processes of ``config`` until SIGINT/SIGTERM (0), or until one dies (1)."""
    try:
        sockets = listening_sockets(config.host, config.port, workers)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", config.host, config.port, exc.strerror or exc)
        return 1
    children = [get_subprocess(config, Server(config).run, [sock]) for sock in sockets]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    code = 0
    try:
        for child in children:
            child.start()
        log.info("%d workers on port %d, one socket each (pids %s)", workers, sockets[0].getsockname()[1],
                 ", ".join(str(child.pid) for child in children))  # fmt: skip
        while not stop.wait(poll_seconds):
            dead = [child for child in children if not child.is_alive()]
            if dead:
                log.error("worker %s exited with %s: stopping the server", dead[0].pid, dead[0].exitcode)
                code = 1
                break
    finally:
        _stop(children)
        for sock in sockets:  # kept open until now: spawned children receive them from this process
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _stop(children: Sequence[BaseProcess], timeout: float = 10.0) -> None:
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
