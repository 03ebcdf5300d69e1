"""The Markdown report is CommonMark with a GitHub table, whatever the run found (parsed with markdown-it-py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from contract_tests.engine.registry import CHECKS, ordered
from contract_tests.engine.report import markdown
from contract_tests.engine.results import OUTCOMES, CheckResult, KnownFalsePositive
from contract_tests.engine.run import ContractRun
from contract_tests.judging.clauses import CLAUSES
from contract_tests.judging.violations import Violation
from contract_tests.profile import Profile
from contract_tests.wire.exchange import Exchange, Received, SentRequest
from contract_tests.wire.target import Target

KEY = "sk-0123456789"
PARSER = MarkdownIt("commonmark").enable("table")
#: What breaks naive Markdown: pipes, backticks, fences, HTML, list and heading markers, line breaks.
PIECES = [*"|`~<>&*_[]#-+=.1!\\\n\r\t ab", "```", "<br>", "\u2028", "<redacted-api-key>", "    x"]
NASTY = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


@pytest.fixture(scope="module")
def contract_run(tmp_path_factory: pytest.TempPathFactory) -> ContractRun:
    target = Target("http://127.0.0.1:9", KEY)
    return ContractRun.create(target, Profile.load("mock"), list(CHECKS), repro_dir=tmp_path_factory.mktemp("repro"))


sent = st.builds(
    lambda body, media: SentRequest(
        {"Content-Type": media, "Authorization": f"Bearer {KEY}"}, body, url="http://127.0.0.1:9/api/v1/generate"
    ),
    st.one_of(st.binary(max_size=80), NASTY.map(str.encode)),
    st.sampled_from(["application/json", "multipart/form-data; boundary=x", "text/plain"]),
)
exchanges = st.builds(
    lambda s, status, body: Exchange("x", s, Received({"content-type": "application/json"}, body, status=status)),
    sent,
    st.integers(0, 599),
    st.one_of(NASTY.map(str.encode), st.binary(max_size=40)),
)


@st.composite
def results(draw: st.DrawFn) -> dict[str, CheckResult]:
    found = {}
    for check_id in CHECKS:
        outcome = draw(st.sampled_from(OUTCOMES))
        violations = draw(st.lists(st.builds(Violation, st.just(check_id), NASTY, st.none() | exchanges), max_size=2))
        found[check_id] = CheckResult(check_id, outcome, draw(NASTY), violations, draw(st.integers(0, 9)))
    return found


def cells(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    row: list[str] = []
    inside = False
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type in ("td_open", "th_open"):
            inside = True
        elif token.type in ("td_close", "th_close"):
            inside = False
        elif token.type == "inline" and inside:
            row.append(token.content)
        elif token.type == "tr_close":
            rows.append(row)
    return rows


@given(results(), st.lists(NASTY, max_size=2), st.one_of(st.none(), NASTY))
def test_every_check_is_one_row_of_one_table_whatever_the_messages(
    contract_run: ContractRun, checks: dict[str, CheckResult], errors: list[str], stopped: Any
) -> None:
    contract_run.results.checks, contract_run.results.errors, contract_run.results.stopped = checks, errors, stopped
    contract_run.results.false_positives = [KnownFalsePositive("fp", "check", "a | reason `x`", 2)]
    tokens = PARSER.parse(markdown(contract_run))
    assert [t.type for t in tokens].count("table_open") == 2  # the checks, then the clauses
    every_row = cells(tokens)
    split = every_row.index(["clause", "source", "verdict", "requests", "how / why not"])
    rows, clause_rows = every_row[:split], every_row[split + 1 :]
    assert rows[0] == ["check", "result", "requests", "what it means / why not passed"]
    assert [row[0] for row in rows[1:]] == [f"`{check_id}`" for check_id in ordered(list(checks))]
    assert all(len(row) == 4 for row in rows)
    assert [row[0] for row in clause_rows] == [f"`{clause.id}`" for clause in CLAUSES]
    assert all(len(row) == 5 for row in clause_rows)
    fences = [t for t in tokens if t.type == "fence"]
    shown = [v for r in checks.values() if r.outcome in ("failed", "warning") for v in r.violations if v.exchange]
    assert len(fences) == len(shown)
    assert all(fence.content.startswith("curl ") and fence.content.count("\n") == 1 for fence in fences)
    assert KEY not in markdown(contract_run)
