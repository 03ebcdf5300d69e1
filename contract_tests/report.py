"""Reports of a run: terminal lines, a Markdown conformance report, JSON for machines.

Each failure comes with a ``curl`` command that sends the failing request again, with the API
key replaced by ``$EIGEN_API_KEY``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .clause_report import statuses
from .clauses import severity
from .registry import CHECKS, ordered
from .reproduce import KEY_VARIABLE, curl
from .results import CheckResult
from .run import ContractRun
from .violations import Violation

_LABELS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "warning": "WARN"}
#: Violations shown per failing check (the rest are counted).
SHOWN = 3


def summary(run: ContractRun) -> str:
    results = run.results
    return (
        f"target {run.target.base_url} · profile {run.profile.name} · seed {run.seed} · "
        f"{run.budget.spent}/{run.budget.cap} requests · "
        f"{results.count('passed')} passed, {results.count('failed')} failed, {results.count('warning')} warnings, "
        f"{results.count('skipped')} skipped"
    )


def clause_summary(run: ContractRun) -> str:
    verdicts = Counter(status.verdict for status in statuses(run))
    judged = sum(count for verdict, count in verdicts.items() if verdict != "not judged")
    return (
        f"clauses: {judged} judged ({verdicts['failed']} failed, {verdicts['warning']} warnings), "
        f"{verdicts['not judged']} not judged (the report says why)"
    )


def terminal_lines(run: ContractRun) -> Iterator[str]:
    for error in run.results.errors:
        yield f"ERROR {error}"
    yield summary(run)
    yield clause_summary(run)
    width = max(len(check_id) for check_id in run.results.checks)
    for result in _in_order(run):
        requests = f"{result.requests:>4} req" if result.requests else " " * 8
        yield f"{_LABELS[result.outcome]}  {result.id:<{width}}  {requests}  {result.reason}".rstrip()
    failed = [result for result in _in_order(run) if result.outcome in ("failed", "warning")]
    if failed:
        yield ""
        yield f"Failures (reproduce with: export {KEY_VARIABLE}=<your key>):"
    for result in failed:
        for line in _failure_lines(run, result):
            yield "  " + line
    yield from _false_positive_lines(run)


def _failure_lines(run: ContractRun, result: CheckResult) -> Iterator[str]:
    yield f"{result.id}:"
    for violation in result.violations[:SHOWN]:
        yield f"  - {_marked(run, violation)}"
        if violation.exchange is not None:
            yield f"    got: {violation.exchange.describe()}"
            yield f"    reproduce: {_curl(run, violation)}"
    if len(result.violations) > SHOWN:
        yield f"  ... and {len(result.violations) - SHOWN} more"


def _marked(run: ContractRun, violation: Violation) -> str:
    """The message, with the clause it breaks and, for a warning, why it does not fail the run."""
    if violation.clause is None:
        return violation.message
    if severity(violation.clause, run.profile.spec_choices) == "warning":
        return f"[{violation.clause}, warning: our spec's own choice] {violation.message}"
    return f"[{violation.clause}] {violation.message}"


def _false_positive_lines(run: ContractRun) -> Iterator[str]:
    if run.results.false_positives:
        yield ""
        yield "Known Schemathesis false positives (reviewed, not counted; see docs/contract-suite.md):"
    for item in run.results.false_positives:
        yield f"  {item.id} ({item.check}, {item.count}x): {item.reason}"


def _curl(run: ContractRun, violation: Violation) -> str:
    assert violation.exchange is not None
    return curl(violation.exchange.sent, run.target.api_key, run.repro_dir)


def _in_order(run: ContractRun) -> list[CheckResult]:
    return [run.results.checks[check_id] for check_id in ordered(list(run.results.checks))]


def write_report(run: ContractRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(as_json(run), indent=2), encoding="utf-8")
    else:
        path.write_text(markdown(run), encoding="utf-8")


def as_json(run: ContractRun) -> dict[str, Any]:
    return {
        "target": run.target.base_url,
        "profile": run.profile.name,
        "requests": {"spent": run.budget.spent, "cap": run.budget.cap, "by_check": dict(run.budget.spent_by_check)},
        "errors": run.results.errors,
        "checks": [
            {
                "id": r.id,
                "outcome": r.outcome,
                "reason": r.reason,
                "requests": r.requests,
                "violations": [
                    {
                        "message": v.message,
                        "clause": v.clause,
                        "severity": severity(v.clause, run.profile.spec_choices),
                        "curl": _curl(run, v) if v.exchange else None,
                    }
                    for v in r.violations
                ],
            }
            for r in _in_order(run)
        ],
        "seed": run.seed,
        "clauses": [
            {
                "id": s.clause.id,
                "source": s.clause.source,
                "check": s.clause.check,
                "verdict": s.verdict,
                "requests": s.requests,
                "detail": s.detail,
            }
            for s in statuses(run)
        ],
        "false_positives": [vars(item) for item in run.results.false_positives],
    }


def markdown(run: ContractRun) -> str:
    lines = ["# Contract conformance report", "", summary(run), ""]
    lines += [f"- **error**: {error}" for error in run.results.errors]
    lines += ["| check | result | requests | what it means / why skipped |", "|---|---|---|---|"]
    for result in _in_order(run):
        detail = CHECKS[result.id].means if result.outcome == "passed" else result.reason
        if result.outcome == "passed" and result.reason:
            detail += f" ({result.reason})"
        lines.append(f"| `{result.id}` | {_LABELS[result.outcome]} | {result.requests} | {_cell(detail)} |")
    for result in (r for r in _in_order(run) if r.outcome in ("failed", "warning")):
        verdict = "failed" if result.outcome == "failed" else "warned (our spec's own choices only)"
        lines += ["", f"## `{result.id}` {verdict}", "", CHECKS[result.id].means, ""]
        for violation in result.violations:
            lines.append(f"- {_marked(run, violation)}")
            if violation.exchange is not None:
                lines += ["", "  ```sh", f"  {_curl(run, violation)}", "  ```", ""]
    lines += ["", "## Clauses", "", "| clause | source | verdict | requests | how / why not |", "|---|---|---|---|---|"]
    for status in statuses(run):
        clause = status.clause
        lines.append(
            f"| `{clause.id}` | {clause.source} | {status.verdict} | {status.requests} | {_cell(status.detail)} |"
        )
    if run.results.false_positives:
        lines += ["", "## Known Schemathesis false positives (not counted)", ""]
        lines += [f"- `{fp.id}` ({fp.check}, {fp.count}x): {fp.reason}" for fp in run.results.false_positives]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
