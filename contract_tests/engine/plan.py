"""Spending the budget clause first: every clause judged once before any clause is judged twice.

At collection the plan takes the clauses (``judging/clauses.py``) cheapest first (those that one request
judges in their order of value, then the dearer ones), so that as many as the cap allows
are judged, and reserves for each the requests that judge it: for the first clause of a check,
what the check needs to say anything at all (its minimum, a property's replay and Schemathesis's
probes included); for each further clause of a table or of an invariant's probes, one more row
or probe (a property's or Schemathesis's examples judge all of their check's clauses at once). A
check none of whose clauses fits is skipped for budget. Clauses judged on the run's traffic
(cost 0) need nothing: invariants judge every response for free.

When a check starts it is granted its reserve plus an even share of what nobody reserved, so
no check eats what a later one needs and the surplus is spread, not taken by the first table.

Grants are the same whether checks run one after another or side by side (``--concurrency``):
within the behaviour and the conformance phase, the room a check's grant comes from is the cap less what
was spent before the phase and what the phase's earlier checks were *granted* (not what they spent so
far, which would depend on timing); what a check leaves of its grant goes to the next phase. When
checks run side by side, each waits for its turn (``turns``), so grants are made in the checks'
order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ..judging.clauses import CLAUSES, Clause
from .budget import Budget
from .registry import CHECKS

#: Longest wait for an earlier check's grant (a safety net: every check gives up its turn at its end).
TURN_TIMEOUT = 3600.0


class BudgetPlan:
    def __init__(self, budget: Budget, check_ids: list[str]) -> None:
        self.budget = budget
        self.skipped: dict[str, str] = {}
        #: requests reserved per admitted check that has not started yet
        self._pending: dict[str, int] = {}
        wanted = set(check_ids)
        room = budget.remaining
        waiting = [clause for clause in CLAUSES if clause.check in wanted]
        while waiting:
            # The cheapest clause to judge next (ties: the order of value): as many clauses as the cap allows.
            _, index, need = min(_rank(self._need(clause), index) for index, clause in enumerate(waiting))
            if need > room:
                break
            check = str(waiting.pop(index).check)
            self._pending[check] = self._pending.get(check, 0) + need
            room -= need
        for check in sorted(wanted - set(self._pending), key=lambda cid: CHECKS[cid].priority):
            if CHECKS[check].kind == "invariant":
                self._pending[check] = 0  # it still judges the traffic
                continue
            self.skipped[check] = (
                f"budget: needs at least {CHECKS[check].min_requests} requests, {room} left after the clauses "
                f"of higher value (--max-requests {budget.cap})"
            )
        self._phase: str | None = None
        self._before_phase = 0
        self._granted_in_phase = 0
        self._turns: list[str] = []
        self._done: set[str] = set()
        self._turn = threading.Condition()

    def reserves(self) -> dict[str, int]:
        """Requests reserved per admitted check that has not started yet."""
        return dict(self._pending)

    def _need(self, clause: Clause) -> int:
        """Requests that judging ``clause`` adds, given the clauses already planned."""
        spec = CHECKS[str(clause.check)]
        if spec.id not in self._pending:
            return spec.min_requests + (clause.cost if spec.kind == "invariant" else 0)
        return clause.cost if spec.kind != "conformance" and not spec.replays else 0

    def grant(self, check_id: str, wanted: int) -> int:
        """Requests ``check_id`` may spend now (at most ``wanted``): its reserve and a share of the surplus."""
        with self._turn:
            self._wait_for_turn(check_id)
            own = self._pending.pop(check_id, 0)
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
            share = max(0, room - reserved - own) // (len(self._pending) + 1)
            least = min(wanted, CHECKS[check_id].min_requests, room)
            granted = max(0, min(wanted, own + share, room - reserved), least)
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


#: Clauses one request judges are "cheap": among them the order of value decides. Counting pairs as
#: cheap too let a small budget spend on pairs what would judge twice as many clauses (the catch
#: rates are in benchmarks/notes.md).
CHEAP = 1


def _rank(need: int, index: int) -> tuple[int, int, int]:
    return (0 if need <= CHEAP else need, index, need)
