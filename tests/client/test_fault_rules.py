"""Faults as data: WireMock's names, checked descriptions, exact counting and reproducible draws."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.faults.fault import Fault, FaultSpecError, RequestFacts, from_header
from mock_server.faults.queue import FaultQueue
from mock_server.state.store import MemoryStore

EIGEN = RequestFacts(model="eigen-image", mode="text-to-image", headers={"x-test": "1"})
WAN = RequestFacts(model="wan-image", mode="image-editing", headers={})


def test_wiremock_names_and_snake_case_spellings_mean_the_same_fault() -> None:
    wiremock = Fault.from_json({"status": 503, "fixedDelayMilliseconds": 250, "retryAfter": 4,
                                "chunkedDribbleDelay": {"numberOfChunks": 3, "totalDuration": 90}})
    snake = Fault.from_json({"status": 503, "fixed_delay_milliseconds": 250, "retry_after": 4,
                             "chunked_dribble_delay": {"number_of_chunks": 3, "total_duration": 90}})
    assert wiremock == snake
    assert Fault.from_json(wiremock.to_json()) == wiremock
    assert wiremock.describe() == "503 model_unavailable, delay 250 ms, slow body: 3 chunks over 90 ms"


@pytest.mark.parametrize(
    ("document", "param"),
    [
        ({}, None),
        ({"status": 418}, "status"),
        ({"fault": "SOMETHING_ELSE"}, "fault"),
        ({"status": 500, "fault": "EMPTY_RESPONSE"}, "fault"),
        ({"error": "rate_limited", "status": 500}, "status"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "probability": 1.5}, "probability"),
        ({"fixedDelayMilliseconds": -1}, "fixedDelayMilliseconds"),
        ({"delayDistribution": {"type": "uniform", "lower": 5, "upper": 1}}, "delayDistribution"),
        ({"delayDistribution": {"type": "pareto"}}, "delayDistribution"),
        ({"fault": "EMPTY_RESPONSE", "chunkedDribbleDelay": {"numberOfChunks": 2, "totalDuration": 1}}, "fault"),
        ({"status": 500, "match": {"colour": "red"}}, "match"),
        ({"status": 500, "surprise": True}, "surprise"),
        ("not an object", None),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_fault_that_cannot_be_used_is_refused_with_the_key_at_fault(document: Any, param: str | None) -> None:
    with pytest.raises(FaultSpecError) as caught:
        Fault.from_json(document)
    assert caught.value.param == param


@pytest.mark.parametrize(
    ("header", "expected"),
    [("429", Fault(status=429)), ("model_unavailable", Fault(status=503, error="model_unavailable")),
     ("connection_reset_by_peer", Fault(fault="CONNECTION_RESET_BY_PEER")),
     ('{"fixedDelayMilliseconds": 10}', Fault(fixed_delay_ms=10.0))],
)
def test_the_fault_header_takes_a_status_a_code_a_fault_name_or_json(header: str, expected: Fault) -> None:
    assert from_header(header) == expected


@given(times=st.integers(min_value=1, max_value=8), requests=st.lists(st.sampled_from([EIGEN, WAN]), max_size=30))
def test_a_counted_fault_applies_to_exactly_that_many_matching_requests(
    times: int, requests: list[RequestFacts]
) -> None:
    queue = FaultQueue(MemoryStore())
    queue.add(Fault(status=500, times=times, match=Fault.from_json({"status": 500, "match": {
        "model": "eigen-image", "headers": {"X-Test": "1"}}}).match))
    applied = [queue.take(facts) for facts in requests]
    assert all(fault is None for fault, facts in zip(applied, requests, strict=True) if facts is WAN)
    assert sum(fault is not None for fault in applied) == min(times, requests.count(EIGEN))
    assert (queue.entries() == []) == (requests.count(EIGEN) >= times)


def test_faults_are_tried_in_order_and_unlimited_ones_stay() -> None:
    queue = FaultQueue(MemoryStore())
    queue.add(Fault(status=429))
    queue.add(Fault(status=503, times=None))
    kinds = [applied.fault.status for applied in (queue.take(EIGEN) for _ in range(4)) if applied]
    assert kinds == [429, 503, 503, 503]
    assert queue.entries()[0]["applied"] == 3 and queue.entries()[0]["remaining"] is None


def _pattern(seed: int, draws: int = 200) -> list[bool]:
    queue = FaultQueue(MemoryStore())
    queue.add(Fault(status=500, times=None, probability=0.3, seed=seed))
    return [queue.take(EIGEN) is not None for _ in range(draws)]


def test_probabilistic_faults_are_reproducible_for_a_seed() -> None:
    first, again, other = _pattern(7), _pattern(7), _pattern(8)
    assert first == again and first != other
    assert 0.2 < sum(first) / len(first) < 0.4


@given(seed=st.integers(min_value=0, max_value=2**32), lower=st.floats(0, 500), width=st.floats(0, 500))
def test_random_delays_stay_in_their_range_and_repeat_for_a_seed(seed: int, lower: float, width: float) -> None:
    fault = Fault(delay_distribution={"type": "uniform", "lower": lower, "upper": lower + width})
    drawn = fault.delay_seconds(random.Random(seed))
    assert lower / 1000 - 1e-9 <= drawn <= (lower + width) / 1000 + 1e-9
    assert drawn == fault.delay_seconds(random.Random(seed))


def test_the_queue_has_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mock_server.faults.queue.MAX_QUEUED", 5)
    queue = FaultQueue(MemoryStore())
    for _ in range(5):
        queue.add(Fault(status=500))
    with pytest.raises(FaultSpecError, match="full"):
        queue.add(Fault(status=500))
