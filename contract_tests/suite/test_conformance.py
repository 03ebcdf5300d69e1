"""Schemathesis against the spec: positive and negative generation for both media types, and
the coverage phase, every response judged by all default checks (``contract_tests/fuzzing/schema_conformance.py``)."""

from __future__ import annotations

import pytest
from schemathesis import GenerationMode

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun, ContractRun
from contract_tests.fuzzing.schema_conformance import ConformanceRunner


@pytest.fixture(scope="session")
def runner(eigen_run: ContractRun) -> ConformanceRunner:
    """One runner (one loaded schema, one set of coverage cases) per contract run."""
    return ConformanceRunner.of(eigen_run)


def fuzz(check: CheckRun, runner: ConformanceRunner, mode: GenerationMode, media: str) -> None:
    """As many cases as the grant covers (its reserve keeps ``ignored_auth``'s probes), drawn from the seed."""
    count = check.units()
    cases = check.examples(lambda: runner.cases(check, mode, media), count, name=f"{mode.value}-{media}")
    runner.exercise(check, cases)


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
    runner.exercise(eigen_check, [runner.repair_coverage(eigen_check, case) for case in planned])
    if len(planned) < len(cases):
        eigen_check.note(f"budget: ran {len(planned)} of {len(cases)} coverage cases")
