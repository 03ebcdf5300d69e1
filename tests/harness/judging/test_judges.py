"""The judges never crash: whatever a server answers, every rule and judgement says "holds" or names a violation.

A crash in a judgement would be reported as the suite's own bug (status ``error``), and before
that it was reported as a failure of the server with no request attached: the ``math domain
error`` of ``downsizing_mp <= 0`` below is the case that showed it.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_tests.engine.report import got
from contract_tests.judging import evidence
from contract_tests.judging.clauses import BY_ID
from contract_tests.judging.expect import describe_error, image, rejected
from contract_tests.judging.invariants import RULES, RuleContext, expected_edit_size
from contract_tests.judging.read_back import valid_on_the_wire
from contract_tests.judging.violations import ContractViolation, Findings, Violation
from contract_tests.profile import Profile
from contract_tests.spec import ContractSpec
from contract_tests.suite.test_images import looks, reported_seed
from contract_tests.wire.exchange import Exchange, Received, SentRequest
from contract_tests.wire.images import source_image
from contract_tests.wire.traffic_log import TrafficLog

SPEC = ContractSpec.load()
LIBRARY = Profile.load("mock").library
KEY = "eigen-mock-key"
URL = "http://127.0.0.1:9/api/v1/generate"


def png_claiming(width: int, height: int, data: bytes = b"") -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (absurd sizes welcome), with ``data`` as its pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")


images = st.one_of(
    st.builds(
        lambda w, h, f: source_image(w, h, 1, f).data,
        st.integers(1, 40),
        st.integers(1, 40),
        st.sampled_from(["png", "jpeg", "webp"]),
    ),
    st.builds(png_claiming, st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1), st.binary(max_size=64)),
    st.builds(lambda data: b"\xff\xd8\xff" + data, st.binary(max_size=64)),
    st.builds(lambda data: source_image(20, 20).data[: len(data)], st.binary(max_size=300)),
    st.binary(max_size=64),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.just(10**400),
)
scalars = st.one_of(numbers, st.text(max_size=20), st.lists(st.integers(), max_size=3))
header_names = st.sampled_from(
    [
        "content-type",
        "x-request-id",
        "x-seed",
        "x-image-sha256",
        "x-processing-time-seconds",
        "content-disposition",
        "retry-after",
        "www-authenticate",
        "allow",
        "x-other",
    ]
)
content_types = st.sampled_from(
    ["application/json", "image/png", "image/jpeg", "text/plain", "", "application/json; charset=utf-8", "image/webp"]
)


@st.composite
def params(draw: st.DrawFn) -> dict[str, Any]:
    names = st.sampled_from([*SPEC.parameters, "colour"])
    found = draw(st.dictionaries(names, scalars, max_size=8))
    found["model"] = draw(st.sampled_from([*LIBRARY.models(), "no-such-model", 7]))
    found["downsizing_mp"] = draw(numbers)
    return found


@st.composite
def sent_requests(draw: st.DrawFn) -> SentRequest:
    values, sources = draw(params()), draw(st.lists(images, max_size=2))
    if draw(st.booleans()):
        for index, data in enumerate(sources):
            values["images" if index else "image_file"] = base64.b64encode(data).decode()
        body = json.dumps(values).encode()
        return SentRequest({"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}, body, url=URL)
    boundary = "b0undary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in values.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'.encode()
        + b"Content-Type: image/png\r\n\r\n"
        + data
        + b"\r\n"
        for data in sources
    ]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {KEY}"}
    return SentRequest(headers, b"".join(parts) + f"--{boundary}--\r\n".encode(), url=URL)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["image", "json", "error", "bytes"]))
    if kind == "image":
        return draw(images)
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "error":
        error = draw(st.dictionaries(st.sampled_from(["code", "message", "param", "request_id", "x"]), scalars))
        return json.dumps({"error": error}).encode()
    document = draw(
        st.dictionaries(st.sampled_from([*SPEC.parameters, "width", "image_sha256", "x_base64"]), scalars, max_size=6)
    )
    document["image_base64"] = draw(st.one_of(st.builds(lambda d: base64.b64encode(d).decode(), images), scalars))
    return json.dumps(document).encode()


@st.composite
def exchanges(draw: st.DrawFn) -> Exchange:
    status = draw(
        st.one_of(st.sampled_from([200, 201, 400, 401, 404, 405, 413, 415, 429, 500, 502, 503]), st.integers(0, 999))
    )
    headers = draw(st.dictionaries(header_names, st.text(max_size=40), max_size=6))
    headers["content-type"] = draw(st.one_of(content_types, st.text(max_size=20)))
    return Exchange("determinism", draw(sent_requests()), Received(headers, draw(bodies()), status=status))


@given(exchanges())
def test_every_rule_holds_or_names_a_violation(exchange: Exchange) -> None:
    context = RuleContext(SPEC, LIBRARY, KEY)
    for name, judge in RULES.items():
        findings = judge(exchange, context)
        assert all(clause in BY_ID and isinstance(message, str) and message for clause, message in findings), name
    traffic = TrafficLog(RuleContext(SPEC, LIBRARY, KEY))
    traffic.record(exchange)
    assert traffic.crashes == {}


def violations_of(judgement: Callable[[], object]) -> list[Violation]:
    """What a judgement found: nothing, or the violations it raised (anything else it raises fails the test)."""
    try:
        judgement()
    except ContractViolation as violation:
        return violation.violations
    return []


@given(exchanges(), exchanges())
def test_every_check_judgement_holds_or_names_a_violation(first: Exchange, second: Exchange) -> None:
    findings = Findings("errors_parameters")
    rejected(findings, first, "a bad request", 400, {"invalid_parameter"}, "seed")
    assert len(describe_error(first)) < 400
    for judgement in (lambda: image("determinism", first), lambda: looks("seed_sensitivity", first, second)):
        assert all(isinstance(v, Violation) and v.message for v in violations_of(judgement))
    assert reported_seed(first) is None or isinstance(reported_seed(first), int)
    assert isinstance(valid_on_the_wire(first.sent, SPEC), bool)


@given(exchanges())
def test_evidence_stays_short_whatever_the_body(exchange: Exchange) -> None:
    shown = got(Violation("determinism", "x", exchange))
    assert len(evidence.body(exchange.received)) <= evidence.LIMIT
    assert len(shown) <= len(exchange.describe()) + 2 + evidence.LIMIT
    assert len(evidence.clip("A" * 5000 + " and more")) <= evidence.LIMIT


def test_downsizing_mp_that_is_not_positive_is_no_math_domain_error() -> None:
    """Regression: ``math.sqrt`` of a non-positive ``downsizing_mp`` crashed ``errors_parameters``."""
    for megapixels in (0, -1, -0.5, float("nan"), float("-inf"), 10**400):
        assert expected_edit_size(4000, 3000, megapixels) == (4000, 3000)
    assert expected_edit_size(4000, 3000, 1.2) == (1265, 949)
    edit = source_image(96, 64).data
    body = json.dumps(
        {
            "model": "qwen-image-edit-2511",
            "prompt": "p",
            "downsizing_mp": -1,
            "image_file": base64.b64encode(edit).decode(),
        }
    ).encode()
    sent = SentRequest({"Content-Type": "application/json"}, body, url=URL)
    answer = json.dumps({"image_base64": base64.b64encode(edit).decode()}).encode()
    exchange = Exchange("errors_parameters", sent, Received({"content-type": "application/json"}, answer, status=200))
    assert RULES["editing_downsizing"](exchange, RuleContext(SPEC, LIBRARY, KEY)) == []
