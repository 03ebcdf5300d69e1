"""Images as a function of the request: determinism, seeds, and binary versus JSON."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from contract_tests.engine.registry import contract_check
from contract_tests.engine.run import CheckRun
from contract_tests.fuzzing.strategies import any_calls
from contract_tests.judging.expect import image
from contract_tests.judging.violations import ContractViolation, fail
from contract_tests.wire.calls import GenerateCall
from contract_tests.wire.exchange import Exchange
from contract_tests.wire.images import difference

#: Mean thumbnail difference (0..255) below which two images count as "the same picture".
VISIBLY_DIFFERENT = 2.0
_VOLATILE = frozenset({"request_id", "created"})
#: Seedless requests after which one picked seed for all of them means "not random".
RANDOM_PICKS = 3


def reported_seed(exchange: Exchange) -> int | None:
    received = exchange.received
    raw: Any = received.header("x-seed") if received.binary else (received.json or {}).get("seed")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def looks(check: str, first: Exchange, second: Exchange) -> float:
    """How different the two results look (``images.difference``); undecodable images fail the check."""
    try:
        return difference(image(check, first), image(check, second))
    except ContractViolation:
        raise
    except Exception as exc:  # Pillow's many error types for bad bytes: all mean "not an image"
        raise fail(check, f"a result cannot be decoded as an image ({type(exc).__name__})", second) from exc


#: ``"request_id": "..."`` and ``"created": ...`` in a JSON body, masked before comparing bytes.
_VOLATILE_BYTES = re.compile(rb'("(?:request_id|created)"\s*:\s*)("[^"]*"|[^,}\s]+)')
#: Binary headers that carry facts of the image (the rest, like Date, may differ).
_FACT_HEADERS = ("content-type", "x-seed", "x-image-sha256", "x-processing-time-seconds")


def body_differences(first: Exchange, second: Exchange) -> list[str]:
    """How two responses to identical requests differ, apart from request_id and created."""
    a, b = first.received, second.received
    if a.binary or b.binary:
        changed = [name for name in _FACT_HEADERS if a.header(name) != b.header(name)]
        return [f"headers {', '.join(changed)}"] if changed else [] if a.body == b.body else ["the image bytes"]
    stable = [{k: v for k, v in (e.json or {}).items() if k not in _VOLATILE} for e in (a, b)]
    changed = sorted(k for k in stable[0].keys() | stable[1].keys() if stable[0].get(k) != stable[1].get(k))
    if changed:
        return [f"the values of {', '.join(changed)}"]
    if _VOLATILE_BYTES.sub(rb"\1_", a.body) != _VOLATILE_BYTES.sub(rb"\1_", b.body):
        return ["the body bytes (same values, written differently: key order, spacing or number format)"]
    return []


@contract_check("determinism")
def test_determinism(eigen_check: CheckRun) -> None:
    @eigen_check.given(any_calls(eigen_check.builders))
    def same_request_same_bytes(call: GenerateCall) -> None:
        first, second = eigen_check.map([call, call], eigen_check.client.generate)
        if image(eigen_check.id, first) != image(eigen_check.id, second):
            raise fail(eigen_check.id, "the same request (same seed) gave different image bytes", second)
        changed = body_differences(first, second)
        if changed:
            clause = "image.deterministic_bytes" if changed[0].startswith("the body bytes") else "image.deterministic"
            raise fail(eigen_check.id, f"the same request gave different {changed[0]}", second, clause)

    same_request_same_bytes()


@contract_check("seed_sensitivity")
def test_seed_sensitivity(eigen_check: CheckRun) -> None:
    @eigen_check.given(any_calls(eigen_check.builders), st.integers(1, 2**31))
    def other_seed_other_image(call: GenerateCall, step: int) -> None:
        seed = int(call.params["seed"])
        other = call.with_params(seed=(seed + step) % 2**32)
        first, second = eigen_check.map([call, other], eigen_check.client.generate)
        distance = looks(eigen_check.id, first, second)
        if distance < VISIBLY_DIFFERENT:
            message = f"seeds {seed} and {(seed + step) % 2**32} gave the same picture (difference {distance:.2f}/255)"
            raise fail(eigen_check.id, message, second)

    other_seed_other_image()


@contract_check("seed_round_trip")
def test_seed_round_trip(eigen_check: CheckRun) -> None:
    picked_seeds: list[tuple[int, Exchange]] = []

    @eigen_check.given(any_calls(eigen_check.builders))
    def reported_seed_replays(call: GenerateCall) -> None:
        first = eigen_check.client.generate(call.without("seed"))
        picked = reported_seed(first)
        image(eigen_check.id, first, "a request without a seed")
        if picked is None or not 0 <= picked < 2**32:
            raise fail(eigen_check.id, "without a seed the response must report the seed it used", first)
        picked_seeds.append((picked, first))
        replay = eigen_check.client.generate(call.with_params(seed=picked))
        if image(eigen_check.id, replay) != image(eigen_check.id, first):
            message = f"replaying with the reported seed {picked} gave a different image"
            raise fail(eigen_check.id, message, replay, "image.seed_replay")

    reported_seed_replays()
    # "Absent: the server picks one at random": a constant pick would make every seedless request the same.
    if len(picked_seeds) >= RANDOM_PICKS and len({seed for seed, _ in picked_seeds}) == 1:
        seed, last = picked_seeds[-1]
        raise fail(eigen_check.id, f"{len(picked_seeds)} requests without a seed all got seed {seed}", last)


@contract_check("binary_matches_json")
def test_binary_matches_json(eigen_check: CheckRun) -> None:
    @eigen_check.given(any_calls(eigen_check.builders, binary=False))
    def binary_is_the_json_image(call: GenerateCall) -> None:
        as_json, as_bytes = eigen_check.map([call, call.with_params(binary_response=True)], eigen_check.client.generate)
        if not as_bytes.received.binary and as_bytes.received.ok:
            raise fail(eigen_check.id, "binary_response true must return the image bytes, not JSON", as_bytes)
        if image(eigen_check.id, as_bytes) != image(eigen_check.id, as_json):
            raise fail(eigen_check.id, "the binary body differs from the JSON response's image_base64", as_bytes)
        if reported_seed(as_bytes) != reported_seed(as_json):
            message = "X-Seed differs from the JSON response's seed"
            raise fail(eigen_check.id, message, as_bytes, "binary.headers_equal_json")
        seconds = as_bytes.received.header("x-processing-time-seconds")
        if as_json.received.ok and _number(seconds) != (as_json.received.json or {}).get("processing_time_seconds"):
            message = f"X-Processing-Time-Seconds {seconds!r} differs from the JSON's processing_time_seconds"
            raise fail(eigen_check.id, message, as_bytes, "binary.headers_equal_json")

    binary_is_the_json_image()
