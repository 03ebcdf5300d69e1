"""Running the server for the CLI: embedded S3, shared state for workers, uvicorn.

``eigen-mock serve``, ``record`` and ``proxy`` all end here. With ``--workers N`` (N > 1) the
workers are separate processes, so the state a client can observe (journal, faults, rate-limit
counters, model library, thumbnails, replay positions) must live outside them: unless a
``--state-dir`` is given, a fresh temporary directory holds their files (``sqlite_store.py``),
and is removed when the server stops. Workers rebuild their settings from the environment, and each
listens on a socket of its own (``workers.py``).
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server.extras import MissingExtra, needs
from mock_server.serving.logs import logging_config
from mock_server.serving.preflight import StartupError, check, check_writable
from mock_server.settings import DEFAULT_API_KEY, Settings

#: uvicorn's exit status when a server cannot start.
STARTUP_FAILURE = 3


@dataclass(frozen=True, slots=True)
class Launch:
    """How to serve: where, with how many workers, and whether to start an embedded S3."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    #: Start an embedded S3 with this bucket when the settings name no S3 endpoint; ``None``: no S3.
    embedded_s3_bucket: str | None = None
    log_format: str = "text"


def run(settings: Settings, launch: Launch) -> int:
    """Serve until stopped (0), or until a worker dies (1); ``StartupError`` if it cannot start."""
    import uvicorn

    from mock_server.serving.connection_limits import ConnectionLimits, uvicorn_config

    log_config = logging_config(launch.log_level, launch.log_format)
    logging.config.dictConfig(log_config)
    check(settings)
    limits = ConnectionLimits.of(settings)
    with embedded_s3(settings, launch.embedded_s3_bucket) as settings, shared_state(settings, launch) as settings:
        app = None if launch.workers > 1 else _create_app(settings)
        sockets = listen(launch)
        try:
            announce(settings, launch, sockets[0].getsockname()[1])
            if app is None:
                from mock_server.serving import workers

                os.environ.update(settings.to_env())
                config = uvicorn_config(
                    "mock_server.app:create_app_from_env",
                    limits,
                    factory=True,
                    access_log=False,
                    log_level=launch.log_level,
                    log_config=log_config,
                )
                return workers.serve(config, sockets)
            config = uvicorn_config(app, limits, access_log=False, log_level=launch.log_level, log_config=log_config)
            server = uvicorn.Server(config)
            server.run(sockets=sockets)
            if not server.started:
                return STARTUP_FAILURE  # as uvicorn.run: the server could not start
        finally:
            for sock in sockets:
                sock.close()
    return 0


def _create_app(settings: Settings) -> Any:
    from mock_server.app import create_app
    from mock_server.generation.library import ModelLibraryError

    try:
        return create_app(settings)
    except (ModelLibraryError, MissingExtra, sqlite3.Error) as exc:
        raise StartupError(str(exc)) from None


def listen(launch: Launch) -> list[socket.socket]:
    """The listening sockets, one per worker: bound before anything says "listening"."""
    from mock_server.serving.workers import listening_sockets

    try:
        return listening_sockets(launch.host, launch.port, launch.workers)
    except OSError as exc:
        raise StartupError(f"cannot listen on {launch.host}:{launch.port}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def embedded_s3(settings: Settings, bucket: str | None) -> Iterator[Settings]:
    if bucket is None or settings.s3_endpoint_url is not None:
        yield settings
        return
    try:
        with needs("s3", "the embedded S3"):
            from mock_server.s3.embedded import EmbeddedS3, load_server

            load_server()
        s3 = EmbeddedS3(bucket=bucket).start()
    except MissingExtra as exc:
        raise StartupError(f"{exc}; or serve without it: --no-s3") from None
    except Exception as exc:  # moto's start-up failures have no common type; the message says what
        raise StartupError(f"the embedded S3 did not start: {exc}") from None
    try:
        yield settings.replace(s3_endpoint_url=s3.endpoint_url)
    finally:
        s3.stop()


@contextlib.contextmanager
def shared_state(settings: Settings, launch: Launch) -> Iterator[Settings]:
    """Settings whose state every worker shares (a temporary directory unless one was given)."""
    if launch.workers <= 1 and settings.state_dir is None:
        yield settings
        return
    created, state_dir = None, settings.state_dir
    if state_dir is None:
        created = tempfile.mkdtemp(prefix="eigen-mock-state-", dir=_memory_directory())
        state_dir = Path(created)
        settings = settings.replace(state_dir=state_dir)
    from mock_server.runtime import STATE_FILE
    from mock_server.state.sqlite_store import SqliteStore

    check_writable(state_dir, "--state-dir")
    try:
        store = SqliteStore(state_dir / STATE_FILE)  # the files made once, before the workers race to make them
        store.drop_stopped_writers()  # logs an earlier server left in this directory
        store.close()
    except (sqlite3.Error, OSError) as exc:
        raise StartupError(f"--state-dir {state_dir}: the shared state cannot be opened there ({exc})") from None
    try:
        yield settings
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)


def _memory_directory() -> str | None:
    """``/dev/shm`` where it is a writable directory (Linux: a tmpfs), else ``None`` (the default
    temporary directory). State that lives as long as the server is worth nothing on disk, and a
    disk file system may stall a worker writing to it."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def announce(settings: Settings, launch: Launch, port: int) -> None:
    """The start-up banner, once the sockets listen. A configured API key is never printed."""
    log = logging.getLogger("eigen_mock")
    if settings.proxy_target is not None:
        verb = "recording into " + str(settings.record_dir) if settings.record_dir else "checking against the spec"
        log.info("eigen-mock proxy listening on http://%s:%d → %s (%s)", launch.host, port, settings.proxy_target, verb)
    else:
        log.info("eigen-mock listening on http://%s:%d (POST /api/v1/generate)", launch.host, port)
    if settings.replay_dir is not None:
        log.info("replaying %s%s", settings.replay_dir, " strictly" if settings.replay_strict else "")
    if settings.api_keys and settings.proxy_target is None:
        log.info("API key: %s", _keys_shown(settings.api_keys))
    elif settings.proxy_target is None:
        log.info("authentication is off")
    if settings.s3_endpoint_url:
        log.info("S3 endpoint: %s (bucket %s)", settings.s3_endpoint_url, launch.embedded_s3_bucket)
    if settings.control_enabled:
        log.info("gallery: http://%s:%d/_mock/ui", launch.host, port)


def _keys_shown(keys: tuple[str, ...]) -> str:
    """The public default key as is (every README example uses it); any other only as a count."""
    if keys == (DEFAULT_API_KEY,):
        return DEFAULT_API_KEY
    return f"{len(keys)} configured (not shown)"
