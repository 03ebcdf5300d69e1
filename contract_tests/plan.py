"""Spending the budget: which checks can run at all, and how much each may spend.

At collection, checks are admitted in priority order while their minimum cost still fits in
the cap; the rest are skipped for budget. When a check starts it is granted what it asks for,
less what the admitted checks that have not run yet need at minimum. So a small budget goes to
the highest-value checks first, and a check never takes what a later admitted check needs.
"""

from __future__ import annotations

from .budget import Budget
from .registry import CHECKS


class Plan:
    def __init__(self, budget: Budget, check_ids: list[str]) -> None:
        self.budget = budget
        self.skipped: dict[str, str] = {}
        self._pending: dict[str, int] = {}
        room = budget.remaining
        for check_id in sorted(check_ids, key=lambda cid: CHECKS[cid].priority):
            need = CHECKS[check_id].min_requests
            if need <= room:
                self._pending[check_id], room = need, room - need
            else:
                self.skipped[check_id] = (
                    f"budget: needs at least {need} requests, {room} left after higher-priority checks "
                    f"(--max-requests {budget.cap})"
                )

    def grant(self, check_id: str, wanted: int) -> int:
        """Requests ``check_id`` may spend now (at most ``wanted``)."""
        self._pending.pop(check_id, None)
        reserved = sum(self._pending.values())
        return max(0, min(wanted, self.budget.remaining - reserved))
