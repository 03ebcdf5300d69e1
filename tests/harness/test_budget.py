"""The request budget: a hard cap the run never exceeds, spent on the highest-value checks first."""

from __future__ import annotations

import pytest

from contract_tests.budget import Budget, BudgetExhausted
from contract_tests.plan import Plan
from contract_tests.registry import CHECKS
from mock_server import Settings, create_app
from tests.fixtures.contract import RunContract
from tests.planted.middleware import Bug, Planted
from tests.planted.serving import serve
from tests.planted.wire import Answer, Sent


class Counter(Bug):
    """Counts every request that reaches the server (whatever its path or method)."""

    def __init__(self) -> None:
        self.requests = 0

    def request(self, sent: Sent) -> Sent | Answer:
        self.requests += 1
        return sent


@pytest.mark.e2e
@pytest.mark.parametrize("cap", [1, 9, 40])
def test_max_requests_is_a_hard_cap(cap: int, run_contract: RunContract) -> None:
    counter = Counter()
    with serve(Planted(create_app(Settings(access_log=False)), counter)) as url:
        report = run_contract(url, "--max-requests", str(cap))
    assert counter.requests <= cap
    assert report.data["requests"]["spent"] == counter.requests
    assert report.ids("failed") == set()
    skipped = [c for c in report.data["checks"] if c["outcome"] == "skipped" and c["reason"].startswith("budget")]
    assert skipped, "a small budget must leave some checks out, and say so"


@pytest.mark.e2e
def test_a_small_budget_goes_to_the_highest_priority_checks(run_contract: RunContract) -> None:
    with serve(create_app(Settings(access_log=False))) as url:
        report = run_contract(url, "--max-requests", "12")
    ran = [c["id"] for c in report.data["checks"] if c["requests"] > 0]
    left_out = [c["id"] for c in report.data["checks"] if c["reason"].startswith("budget")]
    assert ran[0] == "auth_required"
    assert left_out
    assert max(CHECKS[c].priority for c in ran) < min(CHECKS[c].priority for c in left_out)


def test_budget_refuses_past_the_cap_and_past_a_grant() -> None:
    budget = Budget(3)
    with budget.within("a"):
        budget.allow(2)
        budget.charge()
        budget.charge()
        with pytest.raises(BudgetExhausted, match="grant of 2"):
            budget.charge()
    budget.charge()  # outside any check: only the cap applies
    with pytest.raises(BudgetExhausted, match="all 3 requests"):
        budget.charge()
    assert budget.spent == 3
    assert budget.spent_by_check == {"a": 2}


def test_plan_admits_by_priority_and_reserves_for_admitted_checks() -> None:
    budget = Budget(7)  # auth_required needs 2, determinism 4, schema_positive_json 2: the last does not fit
    plan = Plan(budget, ["schema_positive_json", "auth_required", "determinism"])
    assert set(plan.skipped) == {"schema_positive_json"}
    assert plan.grant("auth_required", 100) == 7 - CHECKS["determinism"].min_requests
    # What auth_required was granted is spoken for, spent yet or not: grants do not depend on timing.
    assert plan.grant("determinism", 100) == CHECKS["determinism"].min_requests
