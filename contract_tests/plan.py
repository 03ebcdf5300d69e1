"""Spending the budget clause first: every clause judged once before any clause is judged twice.

At collection the plan takes the clauses (``clauses.py``) cheapest first (those that one request
judges in their order of value, then the dearer ones), so that as many as the cap allows
are judged, and reserves for each the requests that judge it: for the first clause of a check,
what the check needs to say anything at all (its minimum, a property's replay and Schemathesis's
probes included); for each further clause of a table or of an invariant's probes, one more row
or probe (a property's or Schemathesis's examples judge all of their check's clauses at once). A
check none of whose clauses fits is skipped for budget. Clauses judged on the run's traffic
(cost 0) need nothing: invariants judge every response for free.

When a check starts it is granted its reserve plus an even share of what nobody reserved, so
no check eats what a later one needs and the surplus is spread, not taken by the first table.
"""

from __future__ import annotations

from .budget import Budget
from .clauses import CLAUSES, Clause
from .registry import CHECKS


class Plan:
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
        own = self._pending.pop(check_id, 0)
        reserved = sum(self._pending.values())
        surplus = max(0, self.budget.remaining - reserved - own)
        share = surplus // (len(self._pending) + 1)
        return max(0, min(wanted, own + share, self.budget.remaining - reserved))


#: Clauses one request judges are "cheap": among them the order of value decides. Counting pairs as
#: cheap too let a small budget spend on pairs what would judge twice as many clauses (the catch
#: rates are in benchmarks/notes.md).
CHEAP = 1


def _rank(need: int, index: int) -> tuple[int, int, int]:
    return (0 if need <= CHEAP else need, index, need)
