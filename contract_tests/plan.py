"""Spending the budget: which checks can run at all, and how much each may spend.

At collection, checks are admitted in priority order while their minimum cost still fits in
the cap; the rest are skipped for budget. When a check starts it is granted what it asks for,
less what the admitted checks that have not run yet need at minimum. So a small budget goes to
the highest-value checks first, and a check never takes what a later admitted check needs.

Grants are the same whether checks run one after another or side by side (``--concurrency``):
within the behaviour and the conformance phase, what a check may spend is the cap less what was
spent before the phase and what the phase's earlier checks were *granted* (not what they spent so
far, which would depend on timing); what a check leaves of its grant goes to the next phase. When
checks run side by side, each waits for its turn (``turns``), so grants are made in the checks'
order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from .budget import Budget
from .registry import CHECKS

#: Longest wait for an earlier check's grant (a safety net: every check gives up its turn at its end).
TURN_TIMEOUT = 3600.0


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

        self._phase: str | None = None
        self._before_phase = 0
        self._granted_in_phase = 0
        self._turns: list[str] = []
        self._done: set[str] = set()
        self._turn = threading.Condition()

    def grant(self, check_id: str, wanted: int) -> int:
        """Requests ``check_id`` may spend now (at most ``wanted``)."""
        with self._turn:
            self._wait_for_turn(check_id)
            self._pending.pop(check_id, None)
            reserved = sum(self._pending.values())
            kind = CHECKS[check_id].kind
            if kind != self._phase:
                self._phase, self._before_phase, self._granted_in_phase = kind, self.budget.spent, 0
            if kind == "invariant":  # run one after another: what earlier checks left is known
                room = self.budget.remaining
            else:
                room = self.budget.cap - self._before_phase - self._granted_in_phase
            # Retries after a 429 spend from the cap beyond the plan: when the room got that tight, this
            # check still gets its minimum if the room holds it, and a later, lower-priority one loses.
            granted = max(0, min(wanted, room - reserved), min(wanted, CHECKS[check_id].min_requests, room))
            self._granted_in_phase += granted
            self._done.add(check_id)
            self._turn.notify_all()
            return granted

    def take_turns(self, order: Sequence[str]) -> None:
        """Checks of ``order`` run side by side: each ``grant`` waits for those before it in ``order``."""
        with self._turn:
            self._turns, self._done = list(order), set()
            self._turn.notify_all()

    def done(self, check_id: str) -> None:
        """``check_id`` will ask for no grant (it ended, or was skipped): later checks need not wait for it."""
        with self._turn:
            self._done.add(check_id)
            self._turn.notify_all()

    def _wait_for_turn(self, check_id: str) -> None:
        if check_id not in self._turns:
            return
        earlier = self._turns[: self._turns.index(check_id)]
        if not self._turn.wait_for(lambda: set(earlier) <= self._done or not self._turns, TURN_TIMEOUT):
            raise RuntimeError(f"{check_id} waited {TURN_TIMEOUT:g} s for the grants of earlier checks")
