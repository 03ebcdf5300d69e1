"""Turning pytest's report of a suite test into the check's result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from .budget import BudgetExhausted
from .clauses import default_clause, severity
from .results import CheckResult, Outcome
from .run import ContractRun
from .transport import TargetUnreachable
from .violations import ContractViolation, Violation


def record_outcome(
    run: ContractRun, check_id: str, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
    if report.when == "teardown":
        if check_id in run.results.checks:
            run.results.checks[check_id].requests = run.budget.spent_by_check.get(check_id, 0)
        return
    if report.when == "setup" and report.passed:
        return
    result = CheckResult(check_id, _outcome(report), seconds=report.duration)
    if report.skipped:
        result.reason = _skip_reason(report)
    elif report.passed:
        result.reason = run.notes.get(check_id, "")
    elif report.failed and call.excinfo is not None:
        fallback = default_clause(check_id)
        result.violations = [
            v if v.clause else replace(v, clause=fallback) for v in _violations(check_id, call.excinfo.value)
        ]
        result.reason = result.violations[0].message.splitlines()[0] if result.violations else "failed"
        choices = run.profile.spec_choices
        if result.violations and all(severity(v.clause, choices) == "warning" for v in result.violations):
            result.outcome = "warning"
        if call.excinfo.errisinstance(TargetUnreachable):
            run.results.errors.append(f"the target is unreachable: {call.excinfo.value}")
            item.session.shouldstop = "the target is unreachable"
    run.results.add(result)


def _outcome(report: pytest.TestReport) -> Outcome:
    return "passed" if report.passed else "failed" if report.failed else "skipped"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)
    for prefix in ("Skipped: ", f"{BudgetExhausted.__module__}.{BudgetExhausted.__name__}: "):
        reason = reason.removeprefix(prefix)
    return reason


def _violations(check_id: str, error: BaseException) -> Iterator[Violation]:
    """The violations an exception carries, looking inside Hypothesis's and Python's exception groups."""
    if isinstance(error, ContractViolation):
        yield from error.violations
    elif isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _violations(check_id, inner)
    else:
        first_line = (str(error) or type(error).__name__).splitlines()[0]
        yield Violation(check_id, f"{type(error).__name__}: {first_line}")
