"""Per clause of ``clauses.py``: judged (how, with how many requests, with what verdict) or not, and why."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.registry import CHECKS
from ..engine.run import ContractRun
from .clauses import CLAUSES, Clause


@dataclass(frozen=True)
class ClauseStatus:
    clause: Clause
    #: passed, failed, warning, or "not judged"
    verdict: str
    requests: int
    detail: str


def statuses(run: ContractRun) -> list[ClauseStatus]:
    return [_status(run, clause) for clause in CLAUSES]


def _status(run: ContractRun, clause: Clause) -> ClauseStatus:
    if clause.check is None:
        return ClauseStatus(clause, "not judged", 0, clause.not_judged)
    result = run.results.checks.get(clause.check)
    if result is None:
        return ClauseStatus(clause, "not judged", 0, f"{clause.check} was not run (not selected)")
    if result.outcome in ("skipped", "not run", "error"):
        return ClauseStatus(clause, "not judged", 0, f"{clause.check} {result.outcome}: {result.reason}")
    own = run.budget.spent_by_clause.get(clause.id, 0)
    breaches = [v for v in result.violations if v.clause == clause.id]
    if breaches:
        verdict = "failed" if any(v.fatal for v in breaches) else "warning"
        return ClauseStatus(clause, verdict, own, breaches[0].message.splitlines()[0])
    if clause.cost == 0:
        return ClauseStatus(clause, "passed", own, f"judged on all {run.traffic.total} responses of the run")
    if CHECKS[clause.check].per_clause:
        if own == 0:
            return ClauseStatus(clause, "not judged", 0, f"budget: {clause.check} did not reach its rows")
        return ClauseStatus(clause, "passed", own, f"by {clause.check}'s rows for it")
    if result.requests == 0:
        return ClauseStatus(clause, "not judged", 0, f"budget: {clause.check} sent nothing")
    return ClauseStatus(clause, "passed", result.requests, f"by every request of {clause.check}")
