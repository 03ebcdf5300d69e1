"""The model library, honoured both ways: listed parameters accepted, unlisted ones refused."""

from __future__ import annotations

from itertools import chain, zip_longest

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import describe_error, rejected
from contract_tests.judging.violations import Findings
from contract_tests.library import COMMON_PARAMETERS, SOURCE_FIELDS, Offering
from contract_tests.wire.calls import JSON, MULTIPART, GenerateCall

from .test_errors import base_call


def with_all_parameters(check: CheckRun, offering: Offering, media: str) -> GenerateCall:
    builders = check.builders
    values = {name: builders.valid_value(name) for name in sorted(offering.parameters)}
    return base_call(builders, offering, media).with_params(**values)


@contract_check("accepts_declared_parameters")
def test_accepts_declared_parameters(eigen_check: CheckRun) -> None:
    offerings = eigen_check.builders.offerings()
    rows = [(o, media) for media in (JSON, MULTIPART) for o in offerings]
    findings = Findings(eigen_check.id)
    planned = rows[: eigen_check.units(len(rows))]
    sent = eigen_check.map(planned, lambda row: eigen_check.client.generate(with_all_parameters(eigen_check, *row)))
    for (offering, media), exchange in zip(planned, sent, strict=True):
        if not exchange.received.ok:
            listed = ", ".join(sorted(offering.parameters))
            findings.add(
                f"{offering.model} ({offering.mode}, {media}) refused the parameters the library lists "
                f"for it ({listed}): {describe_error(exchange)}",
                exchange,
            )
    findings.raise_if_any()


def unsupported(check: CheckRun, offering: Offering) -> list[tuple[Offering, str]]:
    names = set(check.builders.spec.parameters) - COMMON_PARAMETERS - set(SOURCE_FIELDS) - offering.parameters
    return [(offering, name) for name in sorted(names)]


@contract_check("unsupported_parameters")
def test_unsupported_parameters(eigen_check: CheckRun) -> None:
    per_offering = [unsupported(eigen_check, o) for o in eigen_check.builders.offerings()]
    rows = [row for row in chain.from_iterable(zip_longest(*per_offering)) if row is not None]
    findings = Findings(eigen_check.id)
    builders, planned = eigen_check.builders, rows[: eigen_check.units(len(rows))]
    calls = [base_call(builders, o).with_params(**{name: builders.valid_value(name)}) for o, name in planned]
    for (offering, name), exchange in zip(planned, eigen_check.map(calls, eigen_check.client.generate), strict=True):
        what = f"{name} sent to {offering.model} in {offering.mode} mode (the library does not list it)"
        rejected(findings, exchange, what, 400, {"unsupported_parameter"}, name)
    findings.raise_if_any()
