"""eigen-mock: an offline, API-compatible mock of Eigen AI's ``POST /api/v1/generate``.

Names are imported on first use: the ``eigen_mock`` pytest plugin lives in this package, pytest
loads it in every test run of every project that installs eigen-mock, and importing the server
(Starlette, uvicorn, Pillow, ...) there would cost each of those runs half a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.faults.fault import Fault
    from mock_server.journal.calls import Call, CallList, FilePart
    from mock_server.settings import Settings
    from mock_server.testing import AsyncMockTransport, MockServer, MockTransport

_EXPORTS = {
    "AsyncMockTransport": "mock_server.testing",
    "Call": "mock_server.journal.calls",
    "CallList": "mock_server.journal.calls",
    "Fault": "mock_server.faults.fault",
    "FilePart": "mock_server.journal.calls",
    "MockServer": "mock_server.testing",
    "MockTransport": "mock_server.testing",
    "Settings": "mock_server.settings",
    "create_app": "mock_server.app",
}

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
