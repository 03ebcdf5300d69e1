"""The outcome of each check of a run, as the reports show it, and the run's exit status.

Every check of a run ends with exactly one status:

* ``passed``; ``failed`` (a contract violation); ``warning`` (only non-fatal violations);
* ``skipped`` (the profile, the target or the budget leaves it out, with the reason);
* ``not run`` (the run could not get to it: the target stopped accepting connections, or it kept
  refusing with 429/503 beyond ``--max-wait``), with the reason: the run is incomplete;
* ``error``: a bug in the suite (an exception outside any contract judgement), never the server's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..judging.violations import Violation

Outcome = Literal["passed", "failed", "warning", "skipped", "not run", "error"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "warning", "skipped", "not run", "error")

#: Exit statuses of ``eigen-mock check`` (and of a pytest run of the suite).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SUITE_ERROR = 0, 1, 2, 3


@dataclass
class CheckResult:
    id: str
    outcome: Outcome
    reason: str = ""
    violations: list[Violation] = field(default_factory=list)
    requests: int = 0
    #: requests sent again after a 429/503 with Retry-After (included in ``requests``)
    retries: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class KnownFalsePositive:
    """A Schemathesis failure the suite does not count, and why (see ``fuzzing/false_positives.py``)."""

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
    #: why the run stopped early (its remaining checks are "not run" with this reason)
    stopped: str | None = None
    #: whether any response at all came back from the target
    answered: bool = False

    def add(self, result: CheckResult) -> None:
        self.checks[result.id] = result

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.checks.values() if result.outcome == outcome)

    @property
    def complete(self) -> bool:
        return self.count("not run") == 0 and self.stopped is None

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.complete
            and self.count("failed") == 0
            and self.count("error") == 0
            and bool(self.checks)
        )

    def exit_status(self) -> int:
        """3 for a bug of the suite; 2 when the target never answered; 1 for failures or an incomplete run."""
        if self.count("error"):
            return EXIT_SUITE_ERROR
        if self.stopped is not None and not self.answered:
            return EXIT_USAGE
        return EXIT_OK if self.ok else EXIT_FAILED
