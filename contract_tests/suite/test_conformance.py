"""Schemathesis against the spec: positive and negative generation for both media types, and
the coverage phase, every response judged by all default checks (``contract_tests/conformance.py``)."""

from __future__ import annotations

import pytest
from hypothesis import assume
from schemathesis import GenerationMode

from contract_tests.conformance import ConformanceRunner
from contract_tests.false_positives import Case
from contract_tests.registry import contract_check
from contract_tests.run import CheckRun, ContractRun


@pytest.fixture(scope="session")
def runner(eigen_run: ContractRun) -> ConformanceRunner:
    """One runner (one loaded schema, one set of coverage cases) per contract run."""
    return ConformanceRunner(eigen_run)


def fuzz(check: CheckRun, runner: ConformanceRunner, mode: GenerationMode, media: str) -> None:
    @check.given(runner.cases(check, mode, media))
    def conforms(case: Case) -> None:
        # Once the grant cannot cover a case and its possible probes, the rest are not sent (a rejected
        # example costs nothing); the check reports what it did run. No replay is reserved: a replay
        # that finds the grant spent reports the failure already seen (``CheckRun.given``).
        assume(check.affords(runner.requests_ahead(check)))
        runner.exercise(check, case)

    conforms()


@contract_check("schema_positive_json")
def test_schema_positive_json(eigen_check: CheckRun, runner: ConformanceRunner) -> None:
    fuzz(eigen_check, runner, GenerationMode.POSITIVE, "json")


@contract_check("schema_positive_multipart")
def test_schema_positive_multipart(eigen_check: CheckRun, runner: ConformanceRunner) -> None:
    fuzz(eigen_check, runner, GenerationMode.POSITIVE, "multipart")


@contract_check("schema_negative_json")
def test_schema_negative_json(eigen_check: CheckRun, runner: ConformanceRunner) -> None:
    fuzz(eigen_check, runner, GenerationMode.NEGATIVE, "json")


@contract_check("schema_negative_multipart")
def test_schema_negative_multipart(eigen_check: CheckRun, runner: ConformanceRunner) -> None:
    fuzz(eigen_check, runner, GenerationMode.NEGATIVE, "multipart")


@contract_check("schema_coverage")
def test_schema_coverage(eigen_check: CheckRun, runner: ConformanceRunner) -> None:
    cases = runner.coverage_cases
    planned = cases[: eigen_check.units(len(cases))]
    for index, case in enumerate(planned):
        if not eigen_check.affords(runner.requests_ahead(eigen_check)):
            eigen_check.note(f"budget: ran {index} of {len(cases)} coverage cases")
            return
        runner.exercise(eigen_check, runner.repair_coverage(eigen_check, case))
    if len(planned) < len(cases):
        eigen_check.note(f"budget: ran {len(planned)} of {len(cases)} coverage cases")
