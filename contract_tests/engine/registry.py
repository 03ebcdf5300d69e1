"""Every check of the suite: its id, what passing means, its priority and what it costs.

The ids are the names a report, a profile's ``skip`` list and ``--check`` use. Priority is the
order in which a small budget is spent (lower first); ``cost`` is requests per unit (one
Hypothesis example, one table row or one probe), ``min_units`` what the check needs to say
anything. Three kinds run in three phases, in this order:

* ``behaviour``: the suite's own requests and properties (relations between responses, S3);
* ``conformance``: Schemathesis against the spec, with every default check;
* ``invariant``: rules every response of the run must obey; each runs a few probes of its own
  (from what is left of the budget) and then reports what the rules found in *all* traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import pytest

Kind = Literal["behaviour", "conformance", "invariant"]
PHASES: tuple[Kind, ...] = ("behaviour", "conformance", "invariant")
MARKER = "eigen_contract"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    kind: Kind
    priority: int
    means: str
    cost: int = 1
    min_units: int = 1
    #: Hypothesis properties replay a failing example once: keep one example's cost in reserve.
    replays: bool = False
    needs: frozenset[str] = frozenset()
    #: Hypothesis examples per property, as a multiple of the profile's max_examples
    scale: int = 1
    #: Requests beyond the units that the check may send once (Schemathesis's auth probes)
    overhead: int = 0
    #: Its rows (or probes) each judge one clause, sent clause first; else every request judges all its clauses
    per_clause: bool = False

    @property
    def min_requests(self) -> int:
        if self.kind == "invariant":
            return 0  # the rules judge the run's traffic even when no probe can be afforded
        return self.cost * self.min_units + self.reserve

    @property
    def reserve(self) -> int:
        """Requests kept back beyond the units: probes sent once. (No replay reserve: when Hypothesis's
        replay of a failing example finds the grant spent, ``CheckRun.given`` reports the violation
        it already saw.)"""
        return self.overhead


def _behaviour(
    id: str,
    priority: int,
    means: str,
    *,
    cost: int = 1,
    min_units: int = 1,
    replays: bool = False,
    needs: frozenset[str] = frozenset(),
) -> CheckSpec:
    return CheckSpec(id, "behaviour", priority, means, cost, min_units, replays, needs)


def _property(id: str, priority: int, means: str, *, needs: frozenset[str] = frozenset()) -> CheckSpec:
    """A Hypothesis property whose examples each send a pair of requests."""
    return _behaviour(id, priority, means, cost=2, replays=True, needs=needs)


#: ``ignored_auth`` re-sends a check's first success without and with a wrong key; a coverage
#: Content-Type probe may add a control request.
SCHEMATHESIS_PROBES = 3


def _conformance(
    id: str, priority: int, means: str, *, replays: bool = True, overhead: int = SCHEMATHESIS_PROBES
) -> CheckSpec:
    """Schemathesis fuzzing: one request per example, and more examples than a behaviour property."""
    return CheckSpec(id, "conformance", priority, means, replays=replays, scale=4, overhead=overhead)


def _invariant(id: str, priority: int, means: str, *, needs: frozenset[str] = frozenset()) -> CheckSpec:
    return CheckSpec(id, "invariant", priority, means, needs=needs, per_clause=True)


_EDIT, _S3 = frozenset({"editing"}), frozenset({"s3"})

#: Tables whose rows each judge one clause (``CheckRun.planned``).
_PER_CLAUSE = frozenset(
    {
        "errors_parameters",
        "errors_models",
        "errors_sources",
        "errors_request_format",
        "errors_s3_path",
        "parameters_matter",
        "accepts_edge_requests",
    }
)

CHECKS: dict[str, CheckSpec] = {
    spec.id: replace(spec, per_clause=True) if spec.id in _PER_CLAUSE else spec
    for spec in [
        _behaviour(
            "auth_required",
            10,
            "Missing, malformed and wrong API keys get 401 with the contract's code and "
            "WWW-Authenticate: Bearer, on both media types; never a 2xx.",
            min_units=2,
        ),
        _property(
            "determinism",
            11,
            "The same request twice gives byte-identical images, and JSON bodies that differ "
            "only in request_id and created.",
        ),
        _property("seed_sensitivity", 12, "Changing only the seed changes the image."),
        _behaviour(
            "errors_parameters",
            13,
            "Missing, mistyped, out-of-range and out-of-enum parameters (from the spec's schemas, JSON strings for "
            "numbers, null, unparseable or repeated multipart parts) get 400 missing_parameter / invalid_parameter "
            "naming the parameter.",
            min_units=2,
        ),
        _behaviour(
            "errors_models",
            14,
            "An unknown model gets 400 unknown_model listing the valid ids; a mode the model does not offer, size "
            "(the message points to width and height) and unknown names get 400 unsupported_parameter naming them.",
        ),
        _property(
            "binary_matches_json",
            15,
            "binary_response returns exactly the bytes that the JSON response of the same request carries as base64.",
        ),
        _property(
            "seed_round_trip",
            16,
            "Without a seed the server picks one at random and reports it, and replaying the "
            "request with it reproduces the image.",
        ),
        _behaviour(
            "editing_sources",
            17,
            "Editing works with every source field the profile lists (image_file, image, "
            "images, image_path) in both media types, and the mode is inferred from the source.",
            needs=_EDIT,
        ),
        _property(
            "editing_depends_on_source",
            18,
            "Editing two different sources with the same prompt and seed gives different images.",
            needs=_EDIT,
        ),
        _behaviour(
            "errors_sources",
            19,
            "No source, two source fields, too many images, a source in text-to-image "
            "mode and undecodable image bytes get 400 with the contract's code.",
        ),
        _behaviour(
            "errors_request_format",
            20,
            "Unparseable JSON or multipart, other media types, other methods and "
            "other paths get 400/415/405/404 in the error shape.",
        ),
        _behaviour("errors_s3_path", 21, "A malformed s3_output_path gets 400 invalid_s3_path."),
        _behaviour(
            "accepts_declared_parameters",
            22,
            "Each model accepts, in each of its modes, every parameter the model library lists for it.",
        ),
        _behaviour(
            "unsupported_parameters",
            23,
            "A parameter the model library does not list for a model and mode gets "
            "400 unsupported_parameter naming it.",
        ),
        _behaviour(
            "parameters_matter",
            26,
            "Pairs of requests that differ in one input get responses that differ where the contract says "
            "they must: every bit of the seed, the prompt, the model, every one of several images and the "
            "steps and megapixels behind processing_time_seconds; a default sent explicitly changes nothing.",
            cost=2,
        ),
        _behaviour(
            "accepts_edge_requests",
            27,
            "Requests at the edge of what is valid succeed: seed 0 and 2^32-1, the largest sizes, a 10,000-"
            "character prompt and negative_prompt, 59.0 for an integer (or a 400), JSON with a charset.",
        ),
        _behaviour(
            "s3_write",
            24,
            "After a 2xx with s3_output_path, exactly that key holds the same bytes with the image's Content-Type.",
            needs=_S3,
        ),
        _behaviour(
            "s3_no_object_on_failure",
            25,
            "A request that fails leaves no object at its s3_output_path; a bucket "
            "that does not exist gets 502 storage_error.",
            needs=_S3,
        ),
        _conformance(
            "schema_positive_json",
            50,
            "Schemathesis: valid JSON requests (made contract-valid for the model "
            "library) get 2xx, and every response conforms to the spec (all default checks).",
        ),
        _conformance(
            "schema_positive_multipart", 51, "The same for multipart requests, with real PNG/JPEG/WebP file parts."
        ),
        _conformance(
            "schema_negative_json",
            52,
            "Schemathesis: schema-invalid JSON requests are rejected with a 4xx "
            "and every response conforms to the spec.",
            overhead=0,  # ignored_auth re-sends successes: the positive checks run it, not the negative ones
        ),
        _conformance("schema_negative_multipart", 53, "The same for multipart requests.", overhead=0),
        _conformance(
            "schema_coverage",
            54,
            "Schemathesis coverage phase: boundary values, missing fields, wrong types, "
            "unexpected methods and media types, each judged by all default checks.",
            replays=False,
        ),
        _invariant(
            "server_errors",
            30,
            "No response of the run is a 5xx (a 502 storage_error only for a failed S3 "
            "write); probes send edge values.",
        ),
        _invariant(
            "error_shape",
            31,
            "Every error of the run is application/json, exactly {error: {code, message, "
            "param, request_id}}, with a code the contract allows for its status and the required headers.",
        ),
        _invariant(
            "image_size",
            32,
            "Every text-to-image result has exactly the requested (or default 1024) width "
            "and height, decoded with Pillow, and the reported width/height match the image.",
        ),
        _invariant(
            "image_format",
            33,
            "Every result is a sound PNG or JPEG (magic bytes and a full Pillow decode) in "
            "the requested output_format (jpeg = jpg), with the matching Content-Type.",
        ),
        _invariant("image_sha256", 34, "image_sha256 / X-Image-Sha256 is the SHA-256 of the returned image bytes."),
        _invariant(
            "alias_field",
            35,
            "JSON results carry the image in the model's own field (response_field) too, equal to image_base64.",
        ),
        _invariant(
            "binary_headers",
            36,
            "Binary results carry X-Seed, X-Image-Sha256, X-Processing-Time-Seconds and "
            'Content-Disposition: inline; filename="<request_id>.<png|jpg>".',
        ),
        _invariant(
            "request_id",
            37,
            "Every response carries a unique X-Request-Id (gen_ + 32 hex), equal to the body's request_id.",
        ),
        _invariant(
            "reported_fields",
            38,
            "JSON results report the model as sent, the mode (sent or inferred), the seed "
            "(sent or picked), s3_output_path only when asked, and use_lightning where the model has it.",
        ),
        _invariant(
            "editing_downsizing",
            39,
            "Every edit has its source's size, scaled down (aspect kept) to "
            "downsizing_mp megapixels when that is smaller.",
            needs=_EDIT,
        ),
        _invariant(
            "api_key_not_echoed",
            40,
            "No response of the run, success or error, contains the API key (or any key sent in Authorization).",
        ),
    ]
}

F = TypeVar("F", bound=Callable[..., object])


def contract_check(check_id: str) -> Callable[[F], F]:
    """Mark a suite test as the implementation of ``check_id``."""
    if check_id not in CHECKS:
        raise KeyError(f"{check_id!r} is not a check of the registry")
    marker: Callable[[F], F] = getattr(pytest.mark, MARKER)(check_id)
    return marker


def ordered(ids: list[str]) -> list[str]:
    """Execution order: behaviour, then conformance, then invariants; by priority within each."""
    return sorted(ids, key=lambda cid: (PHASES.index(CHECKS[cid].kind), CHECKS[cid].priority))
