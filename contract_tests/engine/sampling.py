"""Which rows of a table a budget sends first: one per clause, then by risk, then rotated by the run's seed.

A table lists its rows most telling first. ``clause_first`` puts the first row of every clause
ahead of any second row (so a small budget judges every clause once before any twice), then each
clause's second row (the next most telling), and rotates the rest by the run's seed, so runs with
different seeds send different tails and, across runs, every row is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
#: Rows per clause kept in risk order before the rotated tail.
RISK_TIERS = 2


def clause_first(rows: Sequence[T], clause_of: Callable[[T], str], seed: int) -> list[T]:
    seen: dict[str, int] = {}
    tiers: list[list[T]] = [[] for _ in range(RISK_TIERS)]
    tail: list[T] = []
    for row in rows:
        rank = seen.get(clause_of(row), 0)
        seen[clause_of(row)] = rank + 1
        (tiers[rank] if rank < RISK_TIERS else tail).append(row)
    if tail:
        start = seed % len(tail)
        tail = tail[start:] + tail[:start]
    return [row for tier in tiers for row in tier] + tail
