"""Turning pytest's report of a suite test into the check's one status (``results.py``).

A check *fails* only on contract judgements (``ContractViolation``, or a deliberate
``pytest.fail`` naming a problem of the target's set-up); a check whose violations are all
non-fatal ends as a *warning* (pytest sees a pass, with the warning attached). Any other
exception is a bug of the suite: the check is an *error*, never a failure of the server. A skip
raised because the run could not get to the check (``NotRun``) is *not run*.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ..judging.clauses import default_clause, severity
from ..judging.violations import ContractViolation, Violation
from .budget import BudgetExhausted
from .pacing import NotRun, RateLimited, TargetUnreachable
from .results import CheckResult
from .run import ContractRun

#: Exceptions that are the judgement of a check, not a bug of the suite.
_JUDGEMENTS = (ContractViolation, pytest.fail.Exception)


def record_outcome(
    run: ContractRun, check_id: str, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
    run.results.answered = run.traffic.total > 0
    if report.when == "teardown":
        result = run.results.checks.get(check_id)
        if result is not None:
            result.requests = run.budget.spent_by_check.get(check_id, 0)
            result.retries = run.budget.retries_by_check.get(check_id, 0)
            if report.failed and result.outcome in ("passed", "warning"):
                _as_error(result, call.excinfo.value if call.excinfo else None)
        return
    if report.when == "setup" and report.passed:
        return
    result = _result(run, check_id, call, report)
    run.results.add(result)
    item.user_properties.append(("eigen_status", result.outcome))
    if result.reason:
        item.user_properties.append(("eigen_reason", result.reason))
    if result.outcome == "warning":
        # pytest (and JUnit) see a pass; the warning is in every report of the run, and here.
        report.outcome = "passed"
        report.sections.append(("eigen-mock warning", "\n".join(v.message for v in result.violations)))
        report.longrepr = None


def _result(run: ContractRun, check_id: str, call: pytest.CallInfo[None], report: pytest.TestReport) -> CheckResult:
    result = CheckResult(check_id, "passed", seconds=report.duration)
    error = call.excinfo.value if call.excinfo is not None else None
    if report.skipped:
        result.outcome, result.reason = ("not run" if isinstance(error, NotRun) else "skipped"), _skip_reason(report)
        if isinstance(error, TargetUnreachable):
            run.results.stopped = result.reason
    elif report.passed:
        result.reason = run.notes.get(check_id, "")
        crash = run.traffic.crashes.get(check_id)
        if crash is not None:
            result.outcome, result.reason = "error", f"suite error: the rule crashed: {crash}"
    elif error is None or report.when != "call" or not _judgements_only(error):
        _as_error(result, error)
    else:
        result.violations = _attributed(run, check_id, _violations(check_id, error))
        fatal = any(violation.fatal for violation in result.violations)
        result.outcome = "failed" if fatal or not result.violations else "warning"
        result.reason = result.violations[0].message.splitlines()[0] if result.violations else "failed"
    return result


def _attributed(run: ContractRun, check_id: str, violations: Iterator[Violation]) -> list[Violation]:
    """Each violation with the clause it breaks (the check's own, unless it names one); a breach of a
    spec-only clause is not fatal where the profile says so (``spec_choices: warn``, the ``live`` profile)."""
    fallback = default_clause(check_id)
    attributed = [v if v.clause else replace(v, clause=fallback) for v in violations]
    choices = run.profile.spec_choices
    return [replace(v, fatal=False) if severity(v.clause, choices) == "warning" else v for v in attributed]


def _as_error(result: CheckResult, error: BaseException | None) -> None:
    """A bug of the suite: say where it happened, so it can be reported to eigen-mock."""
    result.outcome = "error"
    if error is None:
        result.reason = "suite error (see pytest's output)"
        return
    inner = next(_plain_errors(error), error)
    frames = traceback.extract_tb(inner.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    text = " ".join(str(inner).split())[:200] or type(inner).__name__
    result.reason = (
        f"suite error (a bug of eigen-mock's contract suite, not of the server): {type(inner).__name__}: {text}{where}"
    )


def _judgements_only(error: BaseException) -> bool:
    return next(_plain_errors(error), None) is None


def _plain_errors(error: BaseException) -> Iterator[BaseException]:
    """Exceptions that are neither a judgement nor an outcome, looking inside exception groups."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _plain_errors(inner)
    elif not isinstance(error, _JUDGEMENTS):
        yield error


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
    for cls in (BudgetExhausted, NotRun, TargetUnreachable, RateLimited):
        reason = reason.removeprefix(f"{cls.__module__}.{cls.__name__}: ")
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
        yield Violation(check_id, first_line)
