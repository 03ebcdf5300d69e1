"""What the CLI checks before it binds a port: every start-up problem becomes one sentence.

A mock that a test suite or a developer starts must say plainly why it cannot run: the model
library file is missing or malformed, ``--source-root`` is no directory, ``--state-dir`` cannot be
written, the port is taken, the embedded S3 lacks its extra. ``StartupError`` carries that
sentence; the CLI prints it on one line and exits 2, with no traceback. The checks run before
any worker process starts, so a problem is reported once, not by every worker.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mock_server.extras import install_hint, installed
from mock_server.settings import Settings


class StartupError(Exception):
    """The server cannot start; the message is the whole explanation for the user."""


def check(settings: Settings) -> None:
    """Raise ``StartupError`` for the first problem with ``settings`` that would stop the server."""
    if settings.s3_endpoint_url is not None and not installed("s3"):
        raise StartupError(f"an S3 endpoint ({settings.s3_endpoint_url}) needs the s3 extra: {install_hint('s3')}")
    if settings.models_path is not None:
        _check_model_library(settings)
    if settings.source_root is not None:
        _check_source_root(settings.source_root)
    if settings.state_dir is not None:
        check_writable(settings.state_dir, "--state-dir")


def _check_model_library(settings: Settings) -> None:
    from mock_server.generation.library import ModelLibraryError
    from mock_server.runtime import load_library
    from mock_server.spec import Spec

    try:
        load_library(settings, Spec.load())
    except ModelLibraryError as exc:
        raise StartupError(f"--models {settings.models_path}: {exc}") from None


def _check_source_root(root: Path) -> None:
    if not root.is_dir():
        raise StartupError(f"--source-root {root}: {'not a directory' if root.exists() else 'no such directory'}")
    if not os.access(root, os.R_OK | os.X_OK):
        raise StartupError(f"--source-root {root}: permission denied")


def check_writable(directory: Path, option: str) -> None:
    """``directory`` exists (made if need be) and a file can be created in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise StartupError(f"{option} {directory}: cannot write there ({exc.strerror or exc})") from None
