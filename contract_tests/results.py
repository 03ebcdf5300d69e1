"""The outcome of each check of a run, as the reports show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .violations import Violation

#: ``warning``: the check found only breaches of our spec's own choices, under a profile that warns on them.
Outcome = Literal["passed", "failed", "skipped", "warning"]


@dataclass
class CheckResult:
    id: str
    outcome: Outcome
    reason: str = ""
    violations: list[Violation] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class KnownFalsePositive:
    """A Schemathesis failure the suite does not count, and why (see ``false_positives.py``)."""

    id: str
    check: str
    reason: str
    count: int


@dataclass
class Results:
    checks: dict[str, CheckResult] = field(default_factory=dict)
    false_positives: list[KnownFalsePositive] = field(default_factory=list)
    #: run-level problems (target unreachable, bad S3 settings), reported above the table
    errors: list[str] = field(default_factory=list)

    def add(self, result: CheckResult) -> None:
        self.checks[result.id] = result

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.checks.values() if result.outcome == outcome)

    @property
    def ok(self) -> bool:
        return not self.errors and self.count("failed") == 0 and bool(self.checks)
