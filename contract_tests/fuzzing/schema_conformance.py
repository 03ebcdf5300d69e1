"""Schemathesis 4 against the spec: generation, default checks, tuned expectations.

``ConformanceRunner`` loads the spec with the target's key as OpenAPI bearer auth, registers
real PNG/JPEG/WebP strategies for the file parts' media types, and sends every case through the
run's target session (so Schemathesis's requests, its auth probes included, draw from the same
budget and are judged by the same invariant rules). Failures listed in ``false_positives.py``
are recorded with their reason instead of failing the check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import AuthContext, GenerationMode
from schemathesis.auths import set_on_generated_case
from schemathesis.core.failures import AcceptedNegativeData, Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection
from schemathesis.transport import requests as sth_requests

from ..engine.concurrency import Attempt, settle
from ..engine.run import DRAWING, CheckRun, ContractRun
from ..judging.read_back import valid_on_the_wire
from ..judging.violations import ContractViolation, Violation
from ..resources import spec_path
from ..spec import ContractSpec
from ..wire.exchange import Exchange
from ..wire.images import source_image
from ..wire.session import TargetSession
from ..wire.target import OPERATION_PATH
from .false_positives import Case, FalsePositives
from .repair import Repair, best_offering

_ORIGINAL_SESSION = sth_requests.SameHostRedirectsSession
MEDIA_TYPES = {"json": "application/json", "multipart": "multipart/form-data"}
#: What the contract answers to schema-valid (repaired) and schema-invalid data.
POSITIVE_STATUSES = ["2xx"]
NEGATIVE_STATUSES = ["400", "401", "404", "405", "413", "415"]
#: Properties whose only schema limit beyond the type is our spec's own choice (contract.md allows more).
SPEC_ONLY_LIMITS = frozenset({"negative_prompt"})
_SOURCES = [
    source_image(w, h, v, f)
    for (w, h, v, f) in [(96, 64, 20, "png"), (64, 96, 21, "jpeg"), (80, 80, 22, "webp"), (120, 90, 23, "png")]
]


def register_media_types() -> None:
    """Real image bytes for the file parts (``encoding.contentType`` of the multipart body)."""
    for media in ("image/png", "image/jpeg", "image/webp"):
        images = [image.data for image in _SOURCES if image.media_type == media]
        schemathesis.openapi.media_type(media, st.sampled_from(images))


class ConformanceRunner:
    @classmethod
    def of(cls, run: ContractRun) -> ConformanceRunner:
        """The run's one runner (one loaded schema, one set of coverage cases), whoever asks first."""
        found = run.shared.get("conformance")
        if not isinstance(found, ConformanceRunner):
            found = run.shared["conformance"] = cls(run)
            _ = found.operation  # the schema is loaded here, once, not by checks side by side
        return found

    def __init__(self, run: ContractRun) -> None:
        self.run = run
        self.false_positives = FalsePositives(run.results, run.spec)
        self._auth_probed: set[str] = set()
        register_media_types()

    @cached_property
    def schema(self) -> Any:
        config = schemathesis.Config.from_dict(
            {
                "auth": {"openapi": {"bearerAuth": {"bearer": self.run.target.api_key}}},
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
                    "negative_data_rejection": {"expected-statuses": NEGATIVE_STATUSES},
                },
            }
        )
        return schemathesis.openapi.from_path(spec_path(), config=config)

    @property
    def operation(self) -> Any:
        return self.schema[OPERATION_PATH]["POST"]

    def cases(self, check: CheckRun, mode: GenerationMode, media: str) -> st.SearchStrategy[Case]:
        # Negative cases keep a valid key: left free, Schemathesis negates the Authorization header in
        # most of them, every such case is a plain 401 (``auth_required`` covers those in depth), and
        # the body negations that servers really get wrong are hidden behind it.
        headers = {"Authorization": f"Bearer {self.run.target.api_key}"} if mode.is_negative else None
        strategy = self.operation.as_strategy(generation_mode=mode, headers=headers).filter(
            lambda case: case.media_type == MEDIA_TYPES[media]
        )
        return strategy.flatmap(lambda case: self._repaired(check, case))  # type: ignore[no-any-return]

    @cached_property
    def coverage_cases(self) -> list[Case]:
        """The coverage phase's cases, made once: Schemathesis emits its unexpected-method cases once per schema."""
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        config = self.schema.config.generation_for(operation=self.operation, phase="coverage")
        with DRAWING:
            cases = self.schema.iter_coverage_cases(self.operation, generation_modes=modes, generation_config=config)
            return _spread(list(cases))

    def _repaired(self, check: CheckRun, case: Case) -> st.SearchStrategy[Case]:
        @st.composite
        def repair(draw: st.DrawFn) -> Case:
            offering = draw(st.sampled_from(check.builders.offerings()))
            field = draw(st.sampled_from(list(self.run.profile.sources)))
            count = draw(st.integers(1, min(3, offering.max_source_images))) if field == "images" else 1
            sources = tuple(draw(st.sampled_from(_SOURCES)) for _ in range(count))
            self.apply(check, case, Repair(offering, field, sources))
            return case

        return repair()

    def repair_coverage(self, check: CheckRun, case: Case) -> Case:
        """Authenticate a coverage case (as Schemathesis's engine does) and repair it."""
        set_on_generated_case(case, AuthContext(operation=self.operation, app=None), None)
        if isinstance(case.body, dict):
            offering = best_offering(case.body, check.builders.offerings())
            self.apply(check, case, Repair(offering, self.run.profile.sources[0], (_SOURCES[0],)))
        return case

    def apply(self, check: CheckRun, case: Case, repair: Repair) -> None:
        """Repair ``case`` in place, as a ``map_body`` hook would, leaving its negated parts as generated.

        A negative case is repaired too, except for the properties Schemathesis negated: then the
        negation is the only thing wrong with it, and a server that accepts it really accepted bad
        data (unrepaired, nearly every negative case is refused for its random model id anyway).
        In place on purpose: assigning ``case.body`` makes Schemathesis revalidate the body, and its
        validator cannot judge binary file parts, so a valid multipart body would be relabelled
        negative. The repair keeps every value it writes within the schema by construction.
        """
        body, keep = case.body, negated_properties(case, self.run.spec)
        if not isinstance(body, dict) or keep is None:
            return
        multipart = case.media_type == MEDIA_TYPES["multipart"]
        fixed = repair.apply(body, multipart, self.run.s3, check.id, keep)
        # contract.md lets a server refuse 59.0 for an integer: a repaired case must not depend on that choice
        # (accepts_edge_requests judges 59.0 itself, accepting either answer).
        types = self.run.spec.parameter_types
        for name, value in fixed.items():
            if name not in keep and types.get(name) == "integer" and isinstance(value, float) and value.is_integer():
                fixed[name] = int(value)
        body.clear()
        body.update(fixed)
        if multipart:
            case.multipart_content_types = {**(case.multipart_content_types or {}), **repair.content_types}

    def exercise(self, check: CheckRun, cases: list[Case]) -> None:
        """Send ``cases`` (up to ``--concurrency`` at a time), then judge each, in order; raise on real failures.

        Sending is concurrent, judging is not: ``ignored_auth``'s probes (two paid requests, run on
        the check's first success in the cases' order) and the order of findings stay the same
        whatever the concurrency.
        """
        sent = check.attempt(cases, self._send)
        settle([self._judged(check, case, attempt) for case, attempt in zip(cases, sent, strict=True)])

    def _send(self, case: Case) -> tuple[Any, Exchange]:
        session = self.run.session
        response = case.call(base_url=self.run.target.base_url, session=session)
        assert session.last is not None
        return response, session.last

    def _judged(self, check: CheckRun, case: Case, sent: Attempt[tuple[Any, Exchange]]) -> Attempt[None]:
        if sent.value is None:
            return Attempt(error=sent.error)
        try:
            self.judge(check, case, *sent.value)
        except BaseException as exc:
            return Attempt(error=exc)
        return Attempt()

    def judge(self, check: CheckRun, case: Case, response: Any, exchange: Exchange) -> None:
        """Judge one response with every default check (``ignored_auth`` on the check's first success only).

        ``ignored_auth`` re-sends a successful request without and with a wrong key: two paid
        requests each time, so it runs once per check (``auth_required`` covers authentication in
        depth). A negative case whose bytes on the wire are valid after all (serialisation undid
        the negation) is not judged as negative: the server was right to accept it.
        """
        session, base_url = self.run.session, self.run.target.base_url
        probe_auth = (
            200 <= response.status_code < 300
            and check.id not in self._auth_probed
            and check.spec.overhead > 0  # negative fuzzing reserves nothing for these probes
            and check.affords(2)
        )
        if probe_auth:
            self._auth_probed.add(check.id)
        excluded = [] if probe_auth else [ignored_auth]
        if (
            case.meta is not None
            and case.meta.generation.mode.is_negative
            and valid_on_the_wire(exchange.sent, self.run.spec)
        ):
            excluded.append(negative_data_rejection)
        try:
            with probes_through(session):
                case.validate_response(
                    response,
                    excluded_checks=excluded,
                    transport_kwargs={"session": session, "base_url": base_url},
                )
        except FailureGroup as group:
            real = [f for f in group.exceptions if not self.false_positives.explains(f, case)]
            if real:
                raise ContractViolation(
                    [Violation(check.id, _describe(f), exchange, self._clause(f, case)) for f in real]
                ) from None

    def _clause(self, failure: Failure, case: Case) -> str | None:
        """The spec-only clause a failure breaks, where it is one (else the check's own clause)."""
        if isinstance(failure, JsonSchemaError) and "created" in [str(p) for p in failure.instance_path]:
            return "success.created_integer"
        if isinstance(failure, AcceptedNegativeData) and negated_properties(case, self.run.spec) == SPEC_ONLY_LIMITS:
            return "request.negative_prompt_max"
        return None


_PATCHED: list[Any] = []
_PATCH_LOCK = threading.Lock()


@contextmanager
def probes_through(session: TargetSession) -> Iterator[None]:
    """Route the requests Schemathesis sends on sessions of its own through the run's session.

    ``ignored_auth`` drops the session it was given (so that no stale credential rides along) and
    sends its probes on a new ``SameHostRedirectsSession``, which would escape the budget's hard
    cap and the traffic log. For the duration of one validation, that class sends through ``session``
    instead: same cap, same rules, nothing else changed. (Schemathesis is pinned; the budget test
    counts requests at the server and fails if a new version sends around this.)

    Checks judged side by side share one patch (counted), so none restores the class under another.
    """

    class ThroughRun(_ORIGINAL_SESSION):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            return session.send(request, **kwargs)

    with _PATCH_LOCK:
        if not _PATCHED:
            setattr(sth_requests, "SameHostRedirectsSession", ThroughRun)  # noqa: B010 - mypy: a class
        _PATCHED.append(session)
    try:
        yield
    finally:
        with _PATCH_LOCK:
            _PATCHED.pop()
            if not _PATCHED:
                setattr(sth_requests, "SameHostRedirectsSession", _ORIGINAL_SESSION)  # noqa: B010


def negated_properties(case: Case, spec: ContractSpec) -> frozenset[str] | None:
    """Body properties a negative case's negation touched (``None``: the whole body, or unknown).

    Schemathesis says so in the case's metadata: mutation paths (fuzzing) or a JSON pointer
    (coverage). Undeclared properties and absent required ones are negations whatever made them.
    """
    if case.meta is None or case.meta.generation.mode.is_positive:
        return frozenset()
    body = case.body if isinstance(case.body, dict) else {}
    media = "multipart" if case.media_type == MEDIA_TYPES["multipart"] else "json"
    names = (set(body) - set(spec.properties(media))) | (set(spec.required) - set(body))
    data = case.meta.phase.data
    for mutation in getattr(data, "mutations", ()):
        if mutation.parameter_location == ParameterLocation.BODY:
            name = mutation.parameter or (mutation.path[0] if mutation.path else None)
            if name is None:
                return None
            names.add(str(name))
    if not getattr(data, "mutations", ()) and data.parameter_location == ParameterLocation.BODY:
        pointer = str(data.location or "").split("/")
        if pointer[1:2] == ["properties"] and len(pointer) > 2:
            names.add(pointer[2])
        elif pointer[1:2] not in (["required"], ["additionalProperties"]):
            return None
    return frozenset(names)


def _describe(failure: Failure) -> str:
    return f"{failure.title}: {' '.join(failure.message.split())}"[:400]


def _spread(cases: list[Case]) -> list[Case]:
    """Interleave the coverage scenarios so that a budget-cut prefix still samples each kind."""
    groups: dict[tuple[str, str | None, str], list[Case]] = {}
    for case in cases:
        mode = case.meta.generation.mode.value if case.meta else "?"
        groups.setdefault((mode, case.media_type, case.method), []).append(case)
    return [case for batch in _round_robin(list(groups.values())) for case in batch]


def _round_robin(groups: list[list[Case]]) -> Iterator[list[Case]]:
    for index in range(max(len(group) for group in groups)):
        yield [group[index] for group in groups if index < len(group)]
