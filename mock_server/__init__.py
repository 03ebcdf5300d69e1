"""eigen-mock: an offline, API-compatible mock of Eigen AI's ``POST /api/v1/generate``."""

from __future__ import annotations

from .app import create_app
from .settings import Settings
from .testing import MockServer

__all__ = ["MockServer", "Settings", "create_app"]
__version__ = "0.1.0"
