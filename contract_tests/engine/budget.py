"""One request budget for the whole run, a hard cap that is never exceeded.

Every request to the target (the suite's own and Schemathesis's, probes included) is charged
here before it is sent. Each check runs inside a grant from the plan (``plan.py``); a check that
spends its grant, or a run that spends the cap, gets ``BudgetExhausted`` instead of a request. Thread-safe:
the examples of a check may be sent from several threads (``--concurrency``).
``BudgetExhausted`` is a pytest skip: Hypothesis lets it through untouched (it would otherwise
treat it as a failing example and try to shrink it), and the check is reported as skipped with
the reason, never as passed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from .. import current


class BudgetExhausted(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The next request would exceed the run's cap or the current check's grant."""

    def __init__(self, message: str) -> None:
        super().__init__(msg=message)


@dataclass
class _Account:
    """One check's grant and what it spent of it (retries apart: they count against the cap only)."""

    grant: int = 0
    spent: int = 0
    retries: int = 0


class Budget:
    """Counts requests against ``cap``; ``spent`` never exceeds it.

    Each check has its own account (its grant), found through the calling thread's check
    (``current.py``), so checks running side by side each spend their own grant.
    """

    def __init__(self, cap: int) -> None:
        if cap < 0:
            raise ValueError("the request budget cannot be negative")
        self.cap = cap
        self.spent = 0
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}
        self.spent_by_check: dict[str, int] = {}
        #: requests sent again after a 429/503 with Retry-After, per check (included in spent_by_check)
        self.retries_by_check: dict[str, int] = {}
        #: what each clause (``judging/clauses.py``) cost: requests sent while a thread judged it (``current.judging``)
        self.spent_by_clause: dict[str, int] = {}

    @property
    def remaining(self) -> int:
        return self.cap - self.spent

    @property
    def retries(self) -> int:
        with self._lock:
            return sum(self.retries_by_check.values()) + sum(a.retries for a in self._accounts.values())

    @contextmanager
    def within(self, check_id: str) -> Iterator[None]:
        """Open ``check_id``'s account (no grant until ``allow``); the calling thread works for it."""
        with self._lock:
            self._accounts[check_id] = _Account()
        try:
            with current.checking(check_id):
                yield
        finally:
            with self._lock:
                account = self._accounts.pop(check_id)
                self.spent_by_check[check_id] = self.spent_by_check.get(check_id, 0) + account.spent + account.retries
                if account.retries:
                    self.retries_by_check[check_id] = self.retries_by_check.get(check_id, 0) + account.retries

    def _account(self) -> _Account | None:
        check = current.check()
        return self._accounts.get(check) if check is not None else None

    def allow(self, requests: int) -> None:
        """Grant the current check ``requests`` more requests."""
        with self._lock:
            account = self._account()
            if account is not None:
                account.grant += requests

    def left_in_grant(self) -> int:
        """Requests the current check may still send (the cap permitting)."""
        with self._lock:
            account = self._account()
            left = account.grant - account.spent if account is not None else self.cap
            return min(left, self.cap - self.spent)

    def charge(self, *, retry: bool = False) -> None:
        """Account for one request about to be sent, or raise ``BudgetExhausted``.

        A ``retry`` (the same request again after a 429/503 with Retry-After) counts against the
        cap, never past it, but not against the check's grant: the check planned that request
        once, and a rate limit should not cut short what the check judges.
        """
        with self._lock:
            if self.spent >= self.cap:
                raise BudgetExhausted(f"request budget exhausted: all {self.cap} requests of --max-requests spent")
            account = self._account()
            if account is not None and not retry and account.spent >= account.grant:
                raise BudgetExhausted(f"{current.check()} spent its grant of {account.grant} requests")
            self.spent += 1
            if account is not None:
                if retry:
                    account.retries += 1
                else:
                    account.spent += 1
            clause = current.clause()
            if clause is not None:
                self.spent_by_clause[clause] = self.spent_by_clause.get(clause, 0) + 1
