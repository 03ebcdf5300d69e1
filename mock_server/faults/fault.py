"""Faults: what can go wrong with one answer, described as data (no HTTP here).

A ``Fault`` is a respx-style *side effect* with WireMock's names where WireMock has one:

* ``status`` (or ``error``, a contract error code): answer that error in the contract's shape,
  429 and 503 with ``Retry-After`` (``retryAfter`` seconds, default 1);
* ``fault``: a broken answer, one of ``NETWORK_FAULTS`` (WireMock's four, plus ``TRUNCATED_BODY``
  and ``MALFORMED_JSON``);
* ``fixedDelayMilliseconds`` or ``delayDistribution`` (``uniform`` lower/upper or ``lognormal``
  median/sigma, in ms): wait first, without blocking other requests;
* ``chunkedDribbleDelay`` (``numberOfChunks``, ``totalDuration`` ms): send the body slowly.

Scheduling: ``times`` (default 1; ``null`` for every request), ``probability`` with ``seed`` (a
reproducible draw), and ``match`` on ``model``, ``mode`` and ``headers``. snake_case spellings of
the keys are accepted too. ``X-Mock-Fault`` sets a fault for one request: a status (``503``), an
error code, a fault name or a JSON object.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.errors import ERRORS_BY_CODE, ERRORS_BY_STATUS, EigenMockError, InvalidParameter

FAULT_HEADER = "x-mock-fault"
RETRY_AFTER_SECONDS = 1
MAX_DELAY_MS = 600_000

#: Broken answers by WireMock's name (and two of ours), with what the client sees.
NETWORK_FAULTS: dict[str, str] = {
    "CONNECTION_RESET_BY_PEER": "the connection is reset (TCP RST) before any response",
    "EMPTY_RESPONSE": "the connection is closed without any response",
    "RANDOM_DATA_THEN_CLOSE": "garbage that is not HTTP, then the connection is closed",
    "MALFORMED_RESPONSE_CHUNK": "the status line and headers, then garbage, then the connection is closed",
    "TRUNCATED_BODY": "the real status and headers, half of the body, then the connection is closed",
    "MALFORMED_JSON": "200 with Content-Type application/json and a body that is not valid JSON",
}
#: Faults that break the connection before any byte of an answer (so no answer need be made).
BREAKS_BEFORE_RESPONSE = frozenset({"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "RANDOM_DATA_THEN_CLOSE"})
_KEYS = frozenset({"status", "error", "fault", "retryAfter", "fixedDelayMilliseconds", "delayDistribution",
                   "chunkedDribbleDelay", "times", "probability", "seed", "match"})


class FaultSpecError(ValueError):
    """A fault description that cannot be used; ``param`` names the offending key."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a fault can be matched on."""

    model: str | None = None
    mode: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    model: str | None = None
    mode: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def accepts(self, facts: RequestFacts) -> bool:
        return (
            (self.model is None or self.model == facts.model)
            and (self.mode is None or self.mode == facts.mode)
            and all(facts.headers.get(name) == value for name, value in self.headers)
        )


@dataclass(frozen=True, slots=True)
class Fault:
    """One side effect; build it with ``Fault.from_json`` (which checks it) or directly."""

    status: int | None = None
    fault: str | None = None
    retry_after: int | None = None
    fixed_delay_ms: float | None = None
    #: ``{"type": "uniform", "lower", "upper"}`` or ``{"type": "lognormal", "median", "sigma"}`` (ms).
    delay_distribution: Mapping[str, Any] | None = None
    #: (number of chunks, total duration in ms).
    dribble: tuple[int, float] | None = None
    times: int | None = 1
    probability: float | None = None
    seed: int | None = None
    match: Match = Match()
    #: The contract error code when one was asked for by name (else the status's usual one).
    error: str | None = None

    @classmethod
    def from_json(cls, document: Any) -> Fault:
        return _parse(document)

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "status": self.status, "error": self.error, "fault": self.fault, "retryAfter": self.retry_after,
            "fixedDelayMilliseconds": self.fixed_delay_ms, "delayDistribution": self.delay_distribution,
            "chunkedDribbleDelay": None if self.dribble is None else {
                "numberOfChunks": self.dribble[0], "totalDuration": self.dribble[1]},
            "probability": self.probability, "seed": self.seed,
            "match": {"model": self.match.model, "mode": self.match.mode, "headers": dict(self.match.headers)},
        }
        return {"times": self.times, **{key: value for key, value in values.items() if value is not None}}

    @property
    def kind(self) -> str:
        if self.fault is not None:
            return self.fault
        if self.status is not None:
            return "status"
        return "slow_body" if self.dribble is not None else "delay"

    def describe(self) -> str:
        """A short human summary, e.g. ``429 rate_limited, delay 200 ms``."""
        parts = [self.fault or "", f"{self.status} {self.error_code()}" if self.status is not None else ""]
        if self.fixed_delay_ms is not None:
            parts.append(f"delay {self.fixed_delay_ms:g} ms")
        if self.delay_distribution is not None:
            parts.append(f"delay {self.delay_distribution['type']}")
        if self.dribble is not None:
            parts.append(f"slow body: {self.dribble[0]} chunks over {self.dribble[1]:g} ms")
        return ", ".join(part for part in parts if part)

    def error_code(self) -> str:
        return self.error or (ERRORS_BY_STATUS[self.status].code if self.status in ERRORS_BY_STATUS else "")

    def exception(self) -> EigenMockError | None:
        """The contract error to answer, for a status fault."""
        if self.status is None:
            return None
        cls = ERRORS_BY_CODE[self.error_code()]
        retry = self.retry_after if self.retry_after is not None else RETRY_AFTER_SECONDS
        headers = {"Retry-After": str(retry)} if self.status in (429, 503) else {}
        return cls(f"injected fault: {cls.code}", headers=headers)

    def delay_seconds(self, rng: random.Random) -> float:
        """The wait before answering: fixed, or drawn from ``rng`` (reproducible for one seed)."""
        if self.fixed_delay_ms is not None:
            return self.fixed_delay_ms / 1000
        spec = self.delay_distribution
        if spec is None:
            return 0.0
        if spec["type"] == "uniform":
            drawn = rng.uniform(float(spec["lower"]), float(spec["upper"]))
        else:
            drawn = float(spec["median"]) * math.exp(rng.gauss(0.0, float(spec["sigma"])))
        return min(drawn, MAX_DELAY_MS) / 1000


def from_header(value: str) -> Fault:
    """The fault an ``X-Mock-Fault`` header asks for; ``InvalidParameter`` if it is not one."""
    token = value.strip()
    try:
        if token.startswith("{"):
            return _parse(json.loads(token))
        if token.isdigit():
            return _parse({"status": int(token)})
        if token.upper() in NETWORK_FAULTS:
            return _parse({"fault": token.upper()})
        return _parse({"error": token.lower()})
    except (ValueError, FaultSpecError) as exc:
        known = ", ".join(sorted(str(status) for status in ERRORS_BY_STATUS))
        raise InvalidParameter(
            f"X-Mock-Fault {value[:40]!r} is not a known fault ({exc}; statuses: {known})", param=None
        ) from None


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda found: found.group(1).upper(), key)


def _parse(document: Any) -> Fault:
    if not isinstance(document, dict):
        raise FaultSpecError("a fault must be a JSON object")
    doc = {_camel(str(key)): value for key, value in document.items()}
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise FaultSpecError(f"unknown fault key {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}", unknown[0])
    status, error = _status(doc)
    fault = _choice(doc, "fault", NETWORK_FAULTS)
    built = Fault(
        status=status, error=error, fault=fault,
        retry_after=_number(doc, "retryAfter", int, 0, 86_400),
        fixed_delay_ms=_number(doc, "fixedDelayMilliseconds", float, 0, MAX_DELAY_MS),
        delay_distribution=_distribution(doc.get("delayDistribution")),
        dribble=_dribble(doc.get("chunkedDribbleDelay")),
        times=_times(doc),
        probability=_number(doc, "probability", float, 0, 1),
        seed=_number(doc, "seed", int, 0, 2**63 - 1),
        match=_match(doc.get("match")),
    )
    return _checked(built)


def _checked(fault: Fault) -> Fault:
    if fault.status is not None and fault.fault is not None:
        raise FaultSpecError("give either a status or a fault, not both", "fault")
    if fault.fault is not None and fault.dribble is not None:
        raise FaultSpecError("chunkedDribbleDelay needs a response to send; it cannot go with a fault", "fault")
    if fault.fixed_delay_ms is not None and fault.delay_distribution is not None:
        raise FaultSpecError("give either fixedDelayMilliseconds or delayDistribution", "delayDistribution")
    effects = (fault.status, fault.fault, fault.fixed_delay_ms, fault.delay_distribution, fault.dribble)
    if all(effect is None for effect in effects):
        raise FaultSpecError("a fault needs a status, error, fault, delay or chunkedDribbleDelay")
    return fault


def _times(doc: dict[str, Any]) -> int | None:
    """``times`` defaults to 1 (one-shot); an explicit ``null`` means every matching request."""
    if "times" in doc and doc["times"] is None:
        return None
    return int(_number({"times": doc.get("times", 1)}, "times", int, 1, 1_000_000))


def _status(doc: dict[str, Any]) -> tuple[int | None, str | None]:
    error = _choice(doc, "error", ERRORS_BY_CODE)
    status = _choice(doc, "status", ERRORS_BY_STATUS)
    if error is None:
        return status, None
    expected = ERRORS_BY_CODE[error].status
    if status is not None and status != expected:
        raise FaultSpecError(f"error {error!r} is a {expected}, not a {status}", "status")
    return expected, error


def _choice(doc: dict[str, Any], key: str, allowed: Mapping[Any, Any]) -> Any:
    value = doc.get(key)
    if value is not None and value not in allowed:
        raise FaultSpecError(f"{key} must be one of {', '.join(map(str, sorted(allowed)))}, got {value!r}", key)
    return value


def _number(doc: dict[str, Any], key: str, kind: type[Any], low: float, high: float) -> Any:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
        raise FaultSpecError(f"{key} must be {'an integer' if kind is int else 'a number'}", key)
    if not low <= value <= high:
        raise FaultSpecError(f"{key} must be between {low:g} and {high:g}", key)
    return kind(value)


def _distribution(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("type") not in ("uniform", "lognormal"):
        raise FaultSpecError("delayDistribution needs type uniform (lower, upper) or lognormal (median, sigma)",
                             "delayDistribution")
    names = ("lower", "upper") if spec["type"] == "uniform" else ("median", "sigma")
    values = {name: _number(spec, name, float, 0, MAX_DELAY_MS) for name in names}
    if any(value is None for value in values.values()):
        raise FaultSpecError(f"delayDistribution {spec['type']} needs {' and '.join(names)}", "delayDistribution")
    if spec["type"] == "uniform" and values["lower"] > values["upper"]:
        raise FaultSpecError("delayDistribution lower must not exceed upper", "delayDistribution")
    return {"type": spec["type"], **values}


def _dribble(spec: Any) -> tuple[int, float] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise FaultSpecError("chunkedDribbleDelay must be {numberOfChunks, totalDuration}", "chunkedDribbleDelay")
    doc = {_camel(str(key)): value for key, value in spec.items()}
    chunks = _number(doc, "numberOfChunks", int, 1, 10_000)
    total = _number(doc, "totalDuration", float, 0, MAX_DELAY_MS)
    if chunks is None or total is None:
        raise FaultSpecError("chunkedDribbleDelay needs numberOfChunks and totalDuration", "chunkedDribbleDelay")
    return chunks, total


def _match(spec: Any) -> Match:
    if spec is None:
        return Match()
    headers = spec.get("headers") or {} if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(headers, dict) or set(spec) - {"model", "mode", "headers"}:
        raise FaultSpecError("match takes model, mode and headers (a name → value object)", "match")
    pairs = tuple(sorted((str(name).lower(), str(value)) for name, value in headers.items()))
    return Match(model=spec.get("model"), mode=spec.get("mode"), headers=pairs)
