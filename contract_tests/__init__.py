"""eigen-mock contract suite: check any implementation of ``POST /api/v1/generate`` against the contract.

Run it with ``eigen-mock check --base-url URL --api-key KEY`` or through pytest (the ``eigen_contract``
plugin). Names are imported on first use, so that loading the pytest plugin (which pytest does in
every test run once eigen-mock is installed) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cli import main
    from .engine.budget import Budget, BudgetExhausted
    from .engine.registry import CHECKS, CheckSpec, contract_check
    from .engine.run import CheckRun, ContractRun
    from .judging.violations import ContractViolation, Violation
    from .library import ModelLibrary, Offering
    from .profile import Profile, ProfileError
    from .wire.target import Target

_EXPORTS = {
    "Budget": "engine.budget",
    "BudgetExhausted": "engine.budget",
    "CHECKS": "engine.registry",
    "CheckRun": "engine.run",
    "CheckSpec": "engine.registry",
    "ContractRun": "engine.run",
    "ContractViolation": "judging.violations",
    "ModelLibrary": "library",
    "Offering": "library",
    "Profile": "profile",
    "ProfileError": "profile",
    "Target": "wire.target",
    "Violation": "judging.violations",
    "contract_check": "engine.registry",
    "main": "cli",
}

__all__ = [
    "Budget",
    "BudgetExhausted",
    "CHECKS",
    "CheckRun",
    "CheckSpec",
    "ContractRun",
    "ContractViolation",
    "ModelLibrary",
    "Offering",
    "Profile",
    "ProfileError",
    "Target",
    "Violation",
    "contract_check",
    "main",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contract_tests' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
