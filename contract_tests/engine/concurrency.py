"""Up to ``--concurrency`` requests in flight: a check's examples, rows or cases run side by side.

What is sent never depends on timing: the items are fixed before any is sent (drawn from the
seed, or a table's rows), every item is sent whatever the others found, and outcomes are read
back in the items' order. So against a deterministic server a run with ``--concurrency 8``
sends the same requests and reaches the same verdicts as with 1, only sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from .. import current
from ..judging.violations import ContractViolation

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Attempt(Generic[R]):
    """What one item came to: its result, or what it raised."""

    value: R | None = None
    error: BaseException | None = None


class Pool:
    """Runs a check's items side by side; the session's semaphore keeps requests in flight at ``size``.

    Each ``attempt`` has threads of its own, so an item may itself ``attempt`` (a property's
    example sending its pair of requests at once) without waiting for a thread held by its caller.
    """

    def __init__(self, size: int = 1) -> None:
        self.size = size

    def attempt(self, items: Sequence[T], work: Callable[[T], R]) -> list[Attempt[R]]:
        check, clause = current.check(), current.clause()

        def one(item: T) -> Attempt[R]:
            try:
                with current.checking(check), current.judging(clause):
                    return Attempt(value=work(item))
            except BaseException as exc:
                return Attempt(error=exc)

        if self.size == 1 or len(items) < 2:
            return [one(item) for item in items]
        with ThreadPoolExecutor(min(self.size, len(items)), thread_name_prefix="eigen-contract") as executor:
            return list(executor.map(one, items))


def settle(attempts: Sequence[Attempt[R]]) -> list[R]:
    """The results, or raise: a bug of the suite first, then every violation together, then a skip.

    A skip (budget, not run) only when nothing was judged: violations already found are a verdict.
    """
    errors = [attempt.error for attempt in attempts if attempt.error is not None]
    bug = next((e for e in errors if isinstance(e, Exception) and not isinstance(e, ContractViolation)), None)
    if bug is not None:
        raise bug
    violations = [v for e in errors if isinstance(e, ContractViolation) for v in e.violations]
    if violations:
        raise ContractViolation(violations)
    if errors:
        raise errors[0]
    return [attempt.value for attempt in attempts]  # type: ignore[misc]
