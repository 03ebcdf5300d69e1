"""eigen-mock: an offline, API-compatible mock of Eigen AI's ``POST /api/v1/generate``."""

from __future__ import annotations

from .app import create_app
from .faults import Fault
from .journal import Call, CallList, FilePart
from .settings import Settings
from .testing import AsyncMockTransport, MockServer, MockTransport

__all__ = [
    "AsyncMockTransport",
    "Call",
    "CallList",
    "Fault",
    "FilePart",
    "MockServer",
    "MockTransport",
    "Settings",
    "create_app",
]
__version__ = "0.1.0"
