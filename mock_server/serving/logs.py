"""Logging set-up shared by the CLI and the in-process server."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str = "info") -> None:
    """One readable line per record on stderr for the ``eigen_mock`` loggers."""
    logger = logging.getLogger("eigen_mock")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
