"""One request budget for the whole run, a hard cap that is never exceeded.

Every request to the target (the suite's own and Schemathesis's, probes included) is charged
here before it is sent. Each check runs inside a grant from the plan (``plan.py``); a check that
spends its grant, or a run that spends the cap, gets ``BudgetExhausted`` instead of a request.
``BudgetExhausted`` is a pytest skip: Hypothesis lets it through untouched (it would otherwise
treat it as a failing example and try to shrink it), and the check is reported as skipped with
the reason, never as passed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


class BudgetExhausted(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The next request would exceed the run's cap or the current check's grant."""

    def __init__(self, message: str) -> None:
        super().__init__(msg=message)


class Budget:
    """Counts requests against ``cap``; ``spent`` never exceeds it."""

    def __init__(self, cap: int) -> None:
        if cap < 0:
            raise ValueError("the request budget cannot be negative")
        self.cap = cap
        self.spent = 0
        self._lock = threading.Lock()
        self._check: str | None = None
        self._grant = 0
        self._check_spent = 0
        self.spent_by_check: dict[str, int] = {}
        #: the clause the current requests judge (``clauses.py``), and what each clause cost
        self.clause: str | None = None
        self.spent_by_clause: dict[str, int] = {}

    @property
    def remaining(self) -> int:
        return self.cap - self.spent

    @contextmanager
    def within(self, check_id: str) -> Iterator[None]:
        """Attribute requests to ``check_id``; it may send none until ``allow`` grants some."""
        with self._lock:
            self._check, self._grant, self._check_spent = check_id, 0, 0
        try:
            yield
        finally:
            with self._lock:
                self.spent_by_check[check_id] = self.spent_by_check.get(check_id, 0) + self._check_spent
                self._check, self._grant, self._check_spent = None, 0, 0

    def allow(self, requests: int) -> None:
        """Grant the current check ``requests`` more requests."""
        with self._lock:
            self._grant += requests

    def left_in_grant(self) -> int:
        """Requests the current check may still send (the cap permitting)."""
        with self._lock:
            return min(self._grant - self._check_spent, self.cap - self.spent)

    def charge(self) -> None:
        """Account for one request about to be sent, or raise ``BudgetExhausted``."""
        with self._lock:
            if self.spent >= self.cap:
                raise BudgetExhausted(f"request budget exhausted: all {self.cap} requests of --max-requests spent")
            if self._check is not None and self._check_spent >= self._grant:
                raise BudgetExhausted(f"{self._check} spent its grant of {self._grant} requests")
            self.spent += 1
            self._check_spent += 1
            if self.clause is not None:
                self.spent_by_clause[self.clause] = self.spent_by_clause.get(self.clause, 0) + 1
