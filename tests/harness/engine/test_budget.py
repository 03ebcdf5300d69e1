"""The request budget: a hard cap the run never exceeds, spent on the highest-value checks first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.engine.budget import Budget, BudgetExhausted
from contract_tests.engine.plan import BudgetPlan
from contract_tests.engine.registry import CHECKS
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
def test_a_small_budget_judges_clauses_once_and_says_which_it_left_out(run_contract: RunContract) -> None:
    with serve(create_app(Settings(access_log=False))) as url:
        report = run_contract(url, "--max-requests", "12", "--seed", "3")
    clauses = {clause["id"]: clause for clause in report.data["clauses"]}
    judged = [c for c in clauses.values() if c["verdict"] == "passed"]
    left_out = [c for c in clauses.values() if c["verdict"] == "not judged" and c["check"] is not None]
    assert judged and left_out
    assert all(c["detail"] for c in left_out), "every clause left out says why"
    # One-request clauses of most value first: the JPEG synonym and the source's size are judged, while
    # auth (two requests: JSON and multipart) waits for a larger budget.
    assert clauses["image.jpeg_synonym"]["verdict"] == clauses["edit.first_source_size"]["verdict"] == "passed"
    assert clauses["auth.bearer"]["verdict"] == "not judged"
    assert report.data["seed"] == 3


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


def test_plan_judges_cheap_clauses_first_and_reserves_for_admitted_checks() -> None:
    budget = Budget(7)  # auth_required: 2 + 1 (its two clauses), determinism 2, schema_positive_json 1 + 3
    plan = BudgetPlan(budget, ["schema_positive_json", "auth_required", "determinism"])
    assert set(plan.skipped) == {"schema_positive_json"}
    assert plan.reserves() == {"auth_required": 3, "determinism": 2}
    assert plan.grant("auth_required", 100) == 3 + 1  # its reserve and half of the 2 nobody reserved
    # Last to start, all that is left; what auth_required was granted is spoken for, spent yet or not
    # (grants do not depend on timing).
    assert plan.grant("determinism", 100) == 7 - 4


@given(cap=st.integers(0, 400), wanted=st.lists(st.integers(0, 200), min_size=len(CHECKS), max_size=len(CHECKS)))
def test_grants_never_exceed_the_cap_nor_take_a_later_checks_reserve(cap: int, wanted: list[int]) -> None:
    budget = Budget(cap)
    plan = BudgetPlan(budget, list(CHECKS))
    reserves = plan.reserves()
    assert sum(reserves.values()) <= cap
    admitted = [check_id for check_id in CHECKS if check_id not in plan.skipped]
    for check_id, want in zip(admitted, wanted, strict=False):
        granted = plan.grant(check_id, want)
        assert granted >= min(want, reserves[check_id])  # its reserve is there when it starts
        budget.spent += granted  # spend all of it: the worst case for the checks after it
        assert budget.spent <= cap
