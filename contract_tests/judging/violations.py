"""How a check reports a broken promise: a message, and the exchange that shows it.

A violation is fatal (the check fails) unless it is marked otherwise with ``warn``: a check whose
violations are all non-fatal ends as a *warning*, listed in every report but not failing the run
(e.g. a breach of a rule that only our spec makes, judged under a profile for other servers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..wire.exchange import Exchange


@dataclass(frozen=True)
class Violation:
    """One broken promise of the contract, with the exchange (if any) that reproduces it."""

    check: str
    message: str
    exchange: Exchange | None = None
    #: the clause (``clauses.py``) it breaks, which says where the rule comes from
    clause: str | None = None
    #: False: reported as a warning, the check does not fail on it (``warn``, or a breach of a
    #: spec-only clause under ``spec_choices: warn``: ``engine/outcomes.py``)
    fatal: bool = True


class ContractViolation(AssertionError):
    """A check failed; ``violations`` carry the exchanges the report turns into ``curl`` commands.

    An ``AssertionError`` so that pytest reports a failure (not an error) and Hypothesis treats
    it as a failing example.
    """

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = list(violations)
        lines = [f"{v.message}" + (f"\n    in {v.exchange.describe()}" if v.exchange else "") for v in self.violations]
        super().__init__("\n".join(lines))

    @property
    def fatal(self) -> bool:
        return any(violation.fatal for violation in self.violations)


class Findings:
    """Soft assertions: collect every violation of a table check, then fail once with all of them."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.violations: list[Violation] = []

    def add(
        self, message: str, exchange: Exchange | None = None, clause: str | None = None, *, fatal: bool = True
    ) -> None:
        self.violations.append(Violation(self.check, message, exchange, clause, fatal))

    def warn(self, message: str, exchange: Exchange | None = None, clause: str | None = None) -> None:
        """A breach that is reported but does not fail the check (the check ends as a warning)."""
        self.add(message, exchange, clause, fatal=False)

    def extend(self, messages: Iterable[str], exchange: Exchange | None) -> None:
        for message in messages:
            self.add(message, exchange)

    def raise_if_any(self) -> None:
        if self.violations:
            raise ContractViolation(self.violations)


def fail(check: str, message: str, exchange: Exchange | None = None, clause: str | None = None) -> ContractViolation:
    return ContractViolation([Violation(check, message, exchange, clause)])


def warn(check: str, message: str, exchange: Exchange | None = None, clause: str | None = None) -> ContractViolation:
    """Like ``fail``, but the check ends as a warning unless a fatal violation comes with it."""
    return ContractViolation([Violation(check, message, exchange, clause, fatal=False)])
