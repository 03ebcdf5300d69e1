"""eigen-mock: an offline, API-compatible mock of Eigen AI's ``POST /api/v1/generate``."""

from __future__ import annotations

from mock_server.app import create_app
from mock_server.faults.fault import Fault
from mock_server.journal.calls import Call, CallList, FilePart
from mock_server.settings import Settings
from mock_server.testing import AsyncMockTransport, MockServer, MockTransport

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
