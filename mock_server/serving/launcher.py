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
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mock_server.serving.logs import configure_logging
from mock_server.settings import Settings


@dataclass(frozen=True, slots=True)
class Launch:
    """How to serve: where, with how many workers, and whether to start an embedded S3."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    #: Start an embedded S3 with this bucket when the settings name no S3 endpoint; ``None``: no S3.
    embedded_s3_bucket: str | None = None


def run(settings: Settings, launch: Launch) -> int:
    import uvicorn

    configure_logging(launch.log_level)
    with embedded_s3(settings, launch.embedded_s3_bucket) as settings, shared_state(settings, launch) as settings:
        announce(settings, launch)
        if launch.workers > 1:
            from mock_server.serving import workers

            os.environ.update(settings.to_env())
            config = uvicorn.Config("mock_server.app:create_app_from_env", factory=True, host=launch.host,
                                    port=launch.port, access_log=False, log_level=launch.log_level)  # fmt: skip
            return workers.serve(config, launch.workers)
        from mock_server.app import create_app

        uvicorn.run(create_app(settings), host=launch.host, port=launch.port, access_log=False,
                    log_level=launch.log_level)
    return 0


@contextlib.contextmanager
def embedded_s3(settings: Settings, bucket: str | None) -> Iterator[Settings]:
    if bucket is None or settings.s3_endpoint_url is not None:
        yield settings
        return
    from mock_server.s3.embedded import EmbeddedS3

    with EmbeddedS3(bucket=bucket) as s3:
        yield settings.replace(s3_endpoint_url=s3.endpoint_url)


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

    state_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(state_dir / STATE_FILE)  # the files made once, before the workers race to make them
    store.drop_stopped_writers()  # logs an earlier server left in this directory
    store.close()
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


def announce(settings: Settings, launch: Launch) -> None:
    log = logging.getLogger("eigen_mock")
    if settings.proxy_target is not None:
        verb = "recording into " + str(settings.record_dir) if settings.record_dir else "checking against the spec"
        log.info("eigen-mock proxy on http://%s:%d → %s (%s)", launch.host, launch.port, settings.proxy_target, verb)
    else:
        log.info("eigen-mock listening on http://%s:%d (POST /api/v1/generate)", launch.host, launch.port)
    if settings.replay_dir is not None:
        log.info("replaying %s%s", settings.replay_dir, " strictly" if settings.replay_strict else "")
    if settings.api_keys and settings.proxy_target is None:
        log.info("API key: %s", settings.api_keys[0] if len(settings.api_keys) == 1 else "(several configured)")
    elif settings.proxy_target is None:
        log.info("authentication is off")
    if settings.s3_endpoint_url:
        log.info("S3 endpoint: %s (bucket %s)", settings.s3_endpoint_url, launch.embedded_s3_bucket)
    if settings.control_enabled:
        log.info("gallery: http://%s:%d/_mock/ui", launch.host, launch.port)
