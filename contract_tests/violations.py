"""How a check reports a broken promise: a message, and the exchange that shows it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .exchange import Exchange


@dataclass(frozen=True)
class Violation:
    """One broken promise of the contract, with the exchange (if any) that reproduces it."""

    check: str
    message: str
    exchange: Exchange | None = None
    #: the clause (``clauses.py``) it breaks, which says where the rule comes from
    clause: str | None = None


class ContractViolation(AssertionError):
    """A check failed; ``violations`` carry the exchanges the report turns into ``curl`` commands.

    An ``AssertionError`` so that pytest reports a failure (not an error) and Hypothesis treats
    it as a failing example.
    """

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = list(violations)
        lines = [f"{v.message}" + (f"\n    in {v.exchange.describe()}" if v.exchange else "") for v in self.violations]
        super().__init__("\n".join(lines))


class Findings:
    """Soft assertions: collect every violation of a table check, then fail once with all of them."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.violations: list[Violation] = []

    def add(self, message: str, exchange: Exchange | None = None, clause: str | None = None) -> None:
        self.violations.append(Violation(self.check, message, exchange, clause))

    def extend(self, messages: Iterable[str], exchange: Exchange | None) -> None:
        for message in messages:
            self.add(message, exchange)

    def raise_if_any(self) -> None:
        if self.violations:
            raise ContractViolation(self.violations)


def fail(check: str, message: str, exchange: Exchange | None = None, clause: str | None = None) -> ContractViolation:
    return ContractViolation([Violation(check, message, exchange, clause)])
