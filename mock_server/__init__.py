"""eigen-mock: an offline, API-compatible mock of Eigen AI's ``POST /api/v1/generate``.

Names are imported on first use: the ``eigen_mock`` pytest plugin lives in this package, pytest
loads it in every test run of every project that installs eigen-mock, and importing the server
(Starlette, uvicorn, Pillow, ...) there would cost each of those runs half a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .faults import Fault
    from .journal import Call, CallList, FilePart
    from .settings import Settings
    from .testing import AsyncMockTransport, MockServer, MockTransport

_EXPORTS = {
    "AsyncMockTransport": "testing",
    "Call": "journal",
    "CallList": "journal",
    "Fault": "faults",
    "FilePart": "journal",
    "MockServer": "testing",
    "MockTransport": "testing",
    "Settings": "settings",
    "create_app": "app",
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
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
