"""The clause registry: its published table, its sources and verdicts, and the clause-first order of rows."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from contract_tests.engine.registry import CHECKS
from contract_tests.engine.sampling import RISK_TIERS, clause_first
from contract_tests.judging.clauses import BY_ID, CLAUSES, default_clause, severity
from contract_tests.judging.coverage import markdown

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_coverage_table_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "contract-coverage.md").read_text(encoding="utf-8")
    assert committed == markdown(), "run: python -m contract_tests.judging.coverage > docs/contract-coverage.md"


def test_clause_ids_are_unique_and_every_check_judges_a_clause() -> None:
    assert len(BY_ID) == len(CLAUSES)
    assert {clause.check for clause in CLAUSES if clause.check} == set(CHECKS)


def test_only_a_spec_only_choice_is_softened_and_only_where_the_profile_says_so() -> None:
    spec_only = next(clause.id for clause in CLAUSES if clause.source == "spec")
    contract = next(clause.id for clause in CLAUSES if clause.source == "contract")
    assert severity(spec_only, "warn") == "warning"
    assert severity(spec_only, "fail") == "failure"
    assert severity(contract, "warn") == "failure"
    assert severity(None, "warn") == "failure"
    assert severity("no.such.clause", "warn") == "failure"


def test_an_unattributed_violation_never_falls_to_a_spec_only_clause() -> None:
    for check_id in CHECKS:
        fallback = default_clause(check_id)
        assert fallback is None or BY_ID[fallback].source != "spec"


rows = st.lists(st.tuples(st.sampled_from("abcde"), st.integers()), max_size=30)


@given(rows, st.integers(0, 2**32 - 1))
def test_clause_first_sends_one_row_per_clause_before_any_second(table: list[tuple[str, int]], seed: int) -> None:
    ordered = clause_first(table, lambda row: row[0], seed)
    assert sorted(ordered) == sorted(table)
    clauses = list(dict.fromkeys(clause for clause, _ in table))
    assert [row[0] for row in ordered[: len(clauses)]] == clauses
    firsts = [next(row for row in table if row[0] == clause) for clause in clauses]
    assert ordered[: len(clauses)] == firsts  # the most telling row of each clause, in table order
    seen: dict[str, int] = {}
    tail = []
    for row in table:
        seen[row[0]] = seen.get(row[0], 0) + 1
        if seen[row[0]] > RISK_TIERS:
            tail.append(row)
    assert sorted(ordered[len(ordered) - len(tail) :]) == sorted(tail)  # only the tail is rotated
