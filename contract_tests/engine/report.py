"""Reports of a run: terminal lines, a Markdown conformance report, JSON for machines.

Every check of the run is in every report with exactly one status (``results.py``). Each
violation comes with a ``curl`` command that sends the failing request again, with the API key
replaced by ``$EIGEN_API_KEY``; what the server answered is summarised (``judging/evidence.py``), never
dumped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..judging import evidence
from ..judging.clause_report import statuses
from ..judging.violations import Violation
from .registry import CHECKS, ordered
from .reproduce import KEY_VARIABLE, curl
from .results import OUTCOMES, CheckResult, Outcome
from .run import ContractRun

LABELS: dict[Outcome, str] = {
    "passed": "PASS",
    "failed": "FAIL",
    "warning": "WARN",
    "skipped": "SKIP",
    "not run": "NOT RUN",
    "error": "ERROR",
}
_WIDTH = max(len(label) for label in LABELS.values())
#: Violations shown per failing check on the terminal (the rest are counted; all are in the files).
SHOWN = 3
#: The statuses whose violations are listed, with their section titles.
_DETAILED: dict[Outcome, str] = {"failed": "Failures", "warning": "Warnings"}


def summary(run: ContractRun) -> str:
    results, budget = run.results, run.budget
    retries = f" ({budget.retries} retries after 429/503)" if budget.retries else ""
    counts = ", ".join(f"{results.count(outcome)} {outcome}" for outcome in OUTCOMES if results.count(outcome))
    complete = "" if results.complete else " · run incomplete"
    return (
        f"target {run.target.base_url} · profile {run.profile.name} · seed {run.seed} · "
        f"{budget.spent}/{budget.cap} requests{retries} · {counts or 'no checks'}{complete}"
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
    if run.results.stopped:
        yield f"STOPPED {run.results.stopped}"
    yield summary(run)
    yield clause_summary(run)
    width = max(len(check_id) for check_id in run.results.checks)
    for result in _in_order(run):
        requests = f"{result.requests:>4} req" if result.requests else " " * 8
        yield f"{LABELS[result.outcome]:<{_WIDTH}}  {result.id:<{width}}  {requests}  {_reason(result)}".rstrip()
    for outcome, title in _DETAILED.items():
        detailed = [result for result in _in_order(run) if result.outcome == outcome]
        if detailed:
            yield ""
            yield f"{title} (reproduce with: export {KEY_VARIABLE}=<your key>):"
        for result in detailed:
            for line in _violation_lines(run, result):
                yield "  " + line
    yield from _false_positive_lines(run)


def _reason(result: CheckResult) -> str:
    retries = f"retries after 429/503: {result.retries}" if result.retries else ""
    return " · ".join(part for part in (evidence.clip(result.reason), retries) if part)


def _violation_lines(run: ContractRun, result: CheckResult) -> Iterator[str]:
    yield f"{result.id}:"
    for violation in result.violations[:SHOWN]:
        yield f"  - {_marked(violation, evidence.clip(violation.message))}"
        if violation.exchange is not None:
            yield f"    got: {got(violation)}"
            yield f"    reproduce: {_curl(run, violation)}"
    if len(result.violations) > SHOWN:
        yield f"  ... and {len(result.violations) - SHOWN} more (all of them in --report)"


def got(violation: Violation) -> str:
    """What the server answered, in one short line."""
    assert violation.exchange is not None
    exchange = violation.exchange
    if not exchange.received.status:
        return exchange.describe()
    return f"{exchange.describe()}: {evidence.body(exchange.received)}"


def _marked(violation: Violation, message: str) -> str:
    """``message``, with the clause it breaks and, for a warning, why it does not fail the run."""
    if violation.clause is None:
        return message
    if not violation.fatal:
        return f"[{violation.clause}, warning] {message}"
    return f"[{violation.clause}] {message}"


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
    budget = run.budget
    return {
        "target": run.target.base_url,
        "profile": run.profile.name,
        "seed": run.seed,
        "concurrency": run.pool.size,
        "exit_status": run.results.exit_status(),
        "complete": run.results.complete,
        "stopped": run.results.stopped,
        "requests": {
            "spent": budget.spent,
            "cap": budget.cap,
            "retries": budget.retries,
            "by_check": dict(budget.spent_by_check),
        },
        "waited_seconds": round(run.session.pacing.waited, 3),
        "errors": run.results.errors,
        "checks": [
            {
                "id": r.id,
                "outcome": r.outcome,
                "reason": r.reason,
                "requests": r.requests,
                "retries": r.retries,
                "violations": [_violation_json(run, v) for v in r.violations],
            }
            for r in _in_order(run)
        ],
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


def _violation_json(run: ContractRun, violation: Violation) -> dict[str, Any]:
    return {
        "message": evidence.clip(violation.message, 2000),
        "clause": violation.clause,
        "fatal": violation.fatal,
        "severity": "failure" if violation.fatal else "warning",
        "got": got(violation) if violation.exchange else None,
        "curl": _curl(run, violation) if violation.exchange else None,
    }


def markdown(run: ContractRun) -> str:
    """CommonMark with a GitHub table: every check once, whatever the messages contain."""
    lines = ["# Contract conformance report", "", text(summary(run)), ""]
    problems = [*run.results.errors, *([run.results.stopped] if run.results.stopped else [])]
    if problems:
        lines += [f"- **error**: {text(problem)}" for problem in problems] + [""]
    lines += ["| check | result | requests | what it means / why not passed |", "|---|---|---|---|"]
    for result in _in_order(run):
        detail = CHECKS[result.id].means if result.outcome == "passed" else _reason(result)
        if result.outcome == "passed" and result.reason:
            detail += f" ({result.reason})"
        lines.append(f"| `{result.id}` | {LABELS[result.outcome]} | {result.requests} | {text(detail)} |")
    for result in (r for r in _in_order(run) if r.outcome in _DETAILED):
        lines += ["", f"## `{result.id}`: {result.outcome}", "", text(CHECKS[result.id].means), ""]
        for violation in result.violations:
            lines.append(f"- {text(_marked(violation, evidence.clip(violation.message, 600)))}")
            if violation.exchange is not None:
                lines += ["", f"  got: {text(got(violation))}", ""]
                lines += [f"  {line}" for line in fenced(_curl(run, violation), "sh")] + [""]
    lines += ["", "## Clauses", "", "| clause | source | verdict | requests | how / why not |", "|---|---|---|---|---|"]
    for status in statuses(run):
        clause = status.clause
        lines.append(
            f"| `{clause.id}` | {clause.source} | {status.verdict} | {status.requests} | {text(status.detail)} |"
        )
    if run.results.false_positives:
        lines += ["", "## Known Schemathesis false positives (not counted)", ""]
        lines += [f"- `{fp.id}` ({fp.check}, {fp.count}x): {text(fp.reason)}" for fp in run.results.false_positives]
    return "\n".join(lines) + "\n"


_SPECIAL = re.compile(r"([\\`*_\[\]#+!|~])")


def text(value: str) -> str:
    """``value`` as inline Markdown text on one line: no markup, no HTML, no cell break."""
    flat = " ".join(value.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _SPECIAL.sub(r"\\\1", flat)
    return _BLOCK_START.sub(r"\1\\\2", flat)  # "1. x" or "- x" at the start would open a list


_BLOCK_START = re.compile(r"^(\d*)([-=.)])")


def fenced(code: str, info: str = "") -> list[str]:
    """A fenced code block around ``code`` whose fence no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *code.splitlines(), fence]
