"""S3 output: after a success exactly the key holds the image; after a failure nothing is there."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.judging.expect import describe_error, image, rejected
from contract_tests.judging.violations import Findings
from contract_tests.wire.calls import MULTIPART, GenerateCall
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import MEDIA_TYPES, SourceImage
from contract_tests.wire.s3probe import S3Probe

from .test_errors import base_call


def probe(check: CheckRun) -> S3Probe:
    """The run's S3 probe, after making sure the bucket can be read (else the check cannot judge)."""
    s3 = check.run.s3
    assert s3 is not None, "the plugin skips S3 checks without S3"
    try:
        s3.check_access()
    except (BotoCoreError, ClientError) as exc:
        pytest.fail(f"cannot list bucket {s3.bucket} at the given --s3-endpoint-url: {exc}", pytrace=False)
    return s3


def success_rows(check: CheckRun) -> list[tuple[str, GenerateCall]]:
    builders = check.builders
    rows = []
    t2i, editor = builders.first("text-to-image"), builders.first("image-editing")
    if t2i is not None:
        rows += [
            ("a JSON PNG result", builders.t2i(t2i, width=512, height=512)),
            (
                "a binary JPEG result",
                builders.t2i(t2i, width=640, height=512, output_format="jpg", binary_response=True),
            ),
        ]
    if editor is not None:
        rows.append(("an edit (multipart)", builders.edit(editor, media=MULTIPART)))
    return rows


@contract_check("s3_write")
def test_s3_write(eigen_check: CheckRun) -> None:
    s3, findings = probe(eigen_check), Findings(eigen_check.id)
    rows, asked = success_rows(eigen_check), []
    for what, call in rows[: eigen_check.units(len(rows))]:
        fmt = "jpg" if call.params.get("output_format") in ("jpg", "jpeg") else "png"
        key = s3.new_key(eigen_check.id, fmt)
        asked.append(key)
        exchange = eigen_check.client.generate(call.with_params(s3_output_path=s3.uri(key)))
        returned = image(eigen_check.id, exchange, f"{what} with s3_output_path")
        stored = s3.get(key)
        if stored is None:
            findings.add(f"{what}: 2xx, but no object at {s3.uri(key)}", exchange)
        elif stored.data != returned:
            findings.add(
                f"{what}: the object at {s3.uri(key)} has {len(stored.data)} bytes that differ from the "
                f"{len(returned)} bytes returned",
                exchange,
                "s3.complete",
            )
        elif stored.content_type != MEDIA_TYPES[fmt]:
            findings.add(
                f"{what}: the object's Content-Type is {stored.content_type!r}, not {MEDIA_TYPES[fmt]!r}",
                exchange,
                "s3.complete",
            )
    extra = sorted(set(s3.keys(f"{s3.run_prefix}/{eigen_check.id}/")) - set(asked))
    if extra:
        findings.add(f"objects were written at keys nobody asked for: {extra}")
    findings.raise_if_any()


def failure_rows(check: CheckRun) -> list[tuple[str, GenerateCall, int, set[str]]]:
    builders = check.builders
    offering = builders.offerings()[0]
    base = base_call(builders, offering)
    broken = base_call(builders, builders.first("image-editing") or offering, MULTIPART)
    if broken.sources:
        broken = broken.with_sources((broken.sources[0][0], SourceImage(b"not an image", 1, 1, "png")))
    return [
        ("an out-of-range seed", base.with_params(seed=-1), 400, {"invalid_parameter"}),
        ("an unknown model", base.with_params(model="no-such-model-0"), 400, {"unknown_model"}),
        ("an undecodable source", broken, 400, {"invalid_image"}),
        ("no API key", base.with_auth(None), 401, {"missing_api_key"}),
    ]


@contract_check("s3_no_object_on_failure")
def test_s3_no_object_on_failure(eigen_check: CheckRun) -> None:
    s3, findings = probe(eigen_check), Findings(eigen_check.id)
    rows = failure_rows(eigen_check)
    units = eigen_check.units(len(rows) + 1)
    if units > 1:  # the missing bucket (a clause of its own) first, when the budget allows more than one row
        missing_bucket(eigen_check, s3, findings)
    for what, call, status, codes in rows[: units - 1 if units > 1 else units]:
        key = s3.new_key(eigen_check.id, "png")
        exchange = eigen_check.client.generate(call.with_params(s3_output_path=s3.uri(key)))
        rejected(findings, exchange, f"{what} with s3_output_path", status, codes)
        if s3.get(key) is not None:
            findings.add(f"{what}: the request failed ({describe_error(exchange)}) but {s3.uri(key)} exists", exchange)
    findings.raise_if_any()


def missing_bucket(check: CheckRun, s3: S3Probe, findings: Findings) -> Exchange:
    bucket = f"eigen-contract-missing-{s3.run_prefix.rsplit('/', 1)[-1]}"
    key = s3.new_key(check.id, "png")
    call = base_call(check.builders, check.builders.offerings()[0]).with_params(s3_output_path=s3.uri(key, bucket))
    exchange = check.client.generate(call)
    before = len(findings.violations)
    rejected(findings, exchange, f"s3_output_path in a bucket that does not exist ({bucket})", 502, {"storage_error"})
    findings.violations[before:] = [replace(v, clause="s3.storage_error") for v in findings.violations[before:]]
    return exchange
