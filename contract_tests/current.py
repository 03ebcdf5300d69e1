"""Which check the calling thread works for.

Checks (and the rows or examples of one check) may run side by side in several threads
(``--concurrency``); each request is charged to, and recorded under, the check of the thread
that sends it. A thread started for a check's items takes its caller's check with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCAL = threading.local()


def check() -> str | None:
    """The check the calling thread works for (``None`` between checks)."""
    found: str | None = getattr(_LOCAL, "check", None)
    return found


@contextmanager
def checking(check_id: str | None) -> Iterator[None]:
    """The calling thread works for ``check_id`` until the block ends."""
    before = check()
    _LOCAL.check = check_id
    try:
        yield
    finally:
        _LOCAL.check = before


def clause() -> str | None:
    """The clause (``judging/clauses.py``) the calling thread's requests judge, if one was named."""
    found: str | None = getattr(_LOCAL, "clause", None)
    return found


@contextmanager
def judging(clause_id: str | None) -> Iterator[None]:
    """The calling thread's requests judge ``clause_id`` until the block ends (an empty id keeps the one before)."""
    before = clause()
    _LOCAL.clause = clause_id or before
    try:
        yield
    finally:
        _LOCAL.clause = before
