"""Rules every single response must obey, whichever check's request produced it.

The session applies every rule to every exchange of the run (the suite's own requests and
Schemathesis's alike), and the invariant checks of the suite report what they found. Each rule
is a function ``(exchange, context) -> messages``; an empty list means the response is fine.
Messages never contain the API key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..library import ModelLibrary
from ..spec import ContractSpec
from ..wire.exchange import Exchange
from ..wire.images import MEDIA_TYPES, sha256
from .view import RequestView

_SEED_MAX = 2**32 - 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MIN_SECRET = 6


@dataclass
class RuleContext:
    spec: ContractSpec
    library: ModelLibrary
    api_key: str
    #: request ids seen so far (the request_id rule keeps them to find duplicates)
    request_ids: dict[str, str] = field(default_factory=dict)
    #: the header that asks the target for a fault (a 503 asked for is not a server error)
    fault_header: str | None = None


#: What a rule yields: a message (breaking the rule's own clause) or ``(clause id, message)``.
Said = str | tuple[str, str]
Rule = Callable[[Exchange, RuleContext], list[tuple[str, str]]]
RULES: dict[str, Rule] = {}


def rule(check_id: str, clause: str) -> Callable[[Callable[[Exchange, RuleContext], Iterator[Said]]], Rule]:
    """Register a rule under the check that reports it; ``clause`` is what its plain messages break."""

    def register(func: Callable[[Exchange, RuleContext], Iterator[Said]]) -> Rule:
        def run(exchange: Exchange, context: RuleContext) -> list[tuple[str, str]]:
            return [said if isinstance(said, tuple) else (clause, said) for said in func(exchange, context)]

        run.__name__ = check_id
        RULES[check_id] = run
        return run

    return register


@rule("server_errors", "error.no_5xx")
def _server_errors(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received = exchange.received
    if received.status < 500:
        return
    if received.status in (503, 504) and context.fault_header and exchange.sent.header(context.fault_header):
        return  # asked for: the contract's fault-injection answers
    view = RequestView(exchange, context.spec)
    if (
        received.status == 502
        and (received.error or {}).get("code") == "storage_error"
        and "s3_output_path" in view.params
    ):
        return  # the contract's answer to an S3 write that failed
    prompt = view.params.get("prompt")
    clause = "error.unicode" if isinstance(prompt, str) and not prompt.isascii() else "error.no_5xx"
    yield clause, f"HTTP {received.status}: no input may produce a 5xx (500 is a bug; 503/504 only by fault injection)"


@rule("error_shape", "error.shape")
def _error_shape(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received = exchange.received
    if received.status < 400:
        return
    yield from _error_headers(exchange)
    if received.media != "json":
        clause = "error.not_found_shape" if received.status == 404 else "error.shape"
        yield clause, f"an error must be application/json, got Content-Type {received.header('content-type')!r}"
        return
    body, error = received.json, received.error
    if body is None or set(body) != {"error"} or error is None:
        yield f'an error body must be exactly {{"error": {{...}}}}, got {_sketch(body or received.body[:80])}'
        return
    yield from _error_fields(error, received.status, context)


_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\bat [\w.$]+\([\w.]+:\d+\)")


#: Statuses the contract gives by fault injection only, and the clause their codes belong to.
_FAULT_CLAUSES = {429: "error.rate_limited", 503: "error.fault_codes", 504: "error.fault_codes"}


def _error_fields(error: dict[str, object], status: int, context: RuleContext) -> Iterator[Said]:
    if set(error) != {"code", "message", "param", "request_id"}:
        yield f"error must have exactly code, message, param and request_id, got {sorted(error)}"
    allowed = context.spec.error_codes.get(status)
    if allowed is None:
        yield f"HTTP {status} is not a status of the contract"
    elif error.get("code") not in allowed:
        yield (
            _FAULT_CLAUSES.get(status, "error.code_for_status"),
            f"error code {error.get('code')!r} is not one of the contract's codes for {status}: {sorted(allowed)}",
        )
    if not isinstance(error.get("message"), str) or not error.get("message"):
        yield "error.message must be a non-empty string"
    if error.get("param") is not None and not isinstance(error.get("param"), str):
        yield f"error.param must be a string or null, got {_sketch(error.get('param'))}"
    if isinstance(error.get("message"), str) and _TRACEBACK.search(str(error["message"])):
        yield "error.no_stack_trace", f"error.message holds a stack trace: {_sketch(error['message'])}"


def _error_headers(exchange: Exchange) -> Iterator[Said]:
    received = exchange.received
    if received.status == 401 and (received.header("www-authenticate") or "").split(" ")[0].lower() != "bearer":
        yield "auth.www_authenticate", "a 401 must carry WWW-Authenticate: Bearer"
    allow = [method.strip().upper() for method in (received.header("allow") or "").split(",") if method.strip()]
    if received.status == 405 and allow != ["POST"]:
        yield "error.allow_header", f"a 405 must carry Allow: POST (the one method there is), got {allow}"
    if received.status == 429 and not (received.header("retry-after") or "").isdigit():
        yield "error.rate_limited", "a 429 must carry Retry-After in whole seconds"


@rule("request_id", "error.request_id")
def _request_id(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received = exchange.received
    header = received.header("x-request-id")
    if header is None:
        yield f"HTTP {received.status} response without X-Request-Id (every response must carry it)"
        return
    if not context.spec.request_id_pattern.match(header):
        yield (
            "error.request_id_unique",
            f"X-Request-Id {header!r} does not match {context.spec.request_id_pattern.pattern}",
        )
    in_body = (received.error or received.json or {}).get("request_id") if received.media == "json" else None
    if in_body is not None and in_body != header:
        yield f"the body's request_id {in_body!r} differs from X-Request-Id {header!r}"
    first = context.request_ids.get(header)
    if first is not None:
        yield "error.request_id_unique", f"X-Request-Id {header!r} was already used by an earlier response ({first})"
    context.request_ids[header] = exchange.describe()


@rule("image_format", "image.format")
def _image_format(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    decoded, view = exchange.received.decoded, RequestView(exchange, context.spec)
    expected = view.output_format
    if exchange.received.ok and decoded is None:
        yield "a success without an image (no image_base64 in the JSON)"
    if exchange.received.ok and exchange.received.status != 200:
        yield "success.status_200", f"a success must be 200, got {exchange.received.status}"
    yield from _raw_base64(exchange)
    if decoded is None or expected is None:
        return
    if decoded.problem:
        yield f"the returned image is not a sound {expected.upper()}: {decoded.problem}"
    elif decoded.format != expected:
        yield (
            "image.format_honoured",
            f"output_format {expected} was asked for, the image is {(decoded.format or 'unknown').upper()}",
        )
    body = exchange.received.json if exchange.received.ok and not exchange.received.binary else None
    if body is not None and body.get("output_format") != expected:
        yield (
            "image.format_honoured",
            f"output_format is reported as {body.get('output_format')!r}, expected {expected!r}",
        )
    if exchange.received.binary and exchange.received.media != MEDIA_TYPES[expected]:
        yield (
            "binary.content_type",
            f"Content-Type is {exchange.received.header('content-type')!r}, expected {MEDIA_TYPES[expected]!r}",
        )


def _raw_base64(exchange: Exchange) -> Iterator[Said]:
    """The contract's raw base64, read strictly: what a tolerant decoder forgives is a breach here."""
    body = exchange.received.json if exchange.received.ok and not exchange.received.binary else None
    for name, value in (body or {}).items():
        if not name.endswith("_base64") or not isinstance(value, str):
            continue
        if "\n" in value or "\r" in value:
            yield "success.raw_base64_lines", f"{name} has line breaks: raw base64 is one line"
        elif not _RAW_BASE64.fullmatch(value) or len(value) % 4:
            yield "success.raw_base64", f"{name} is not raw, padded, standard base64: starts {value[:24]!r}"


_RAW_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


@rule("image_size", "image.t2i_size")
def _image_size(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    decoded, view = exchange.received.decoded, RequestView(exchange, context.spec)
    if decoded is None or decoded.problem:
        return
    body = exchange.received.json if not exchange.received.binary else None
    if body is not None and (body.get("width"), body.get("height")) != (decoded.width, decoded.height):
        yield (
            "success.width_height_reported",
            (
                f"width/height are reported as {body.get('width')}x{body.get('height')}, "
                f"the image is {decoded.width}x{decoded.height}"
            ),
        )
    if view.mode != "text-to-image":
        return
    width, height = view.value("width", int), view.value("height", int)
    if isinstance(width, int) and isinstance(height, int) and (decoded.width, decoded.height) != (width, height):
        yield f"text-to-image asked for {width}x{height}, the image is {decoded.width}x{decoded.height}"


@rule("editing_downsizing", "edit.downsizing")
def _editing_size(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    decoded, view = exchange.received.decoded, RequestView(exchange, context.spec)
    if decoded is None or decoded.problem or view.mode != "image-editing":
        return
    source = view.source_size()
    if source is None:
        return
    expected = expected_edit_size(*source, view.get("downsizing_mp", (int, float)))
    got = (decoded.width, decoded.height)
    if not _close(got, expected):
        limit = view.get("downsizing_mp", (int, float))
        asked = f" with downsizing_mp={limit}" if limit is not None else ""
        yield (
            f"an edit of a {source[0]}x{source[1]} source{asked} must be about {expected[0]}x{expected[1]}, "
            f"the image is {got[0]}x{got[1]}"
        )


def expected_edit_size(width: int, height: int, megapixels: float | None) -> tuple[int, int]:
    """The source's size, scaled down (never up, aspect kept) to ``megapixels`` when given.

    A ``megapixels`` that is not a positive finite number is no limit the server could apply (it
    must refuse the request): the source's size is kept rather than computing a square root of it.
    """
    limit = _positive(megapixels)
    if limit is None or width <= 0 or height <= 0 or width * height <= limit * 1_000_000:
        return width, height
    scale = math.sqrt(limit * 1_000_000 / (width * height))
    return round(width * scale), round(height * scale)


def _positive(number: float | None) -> float | None:
    try:
        value = float(number) if number is not None else math.nan
    except OverflowError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _close(got: tuple[int, int], expected: tuple[int, int]) -> bool:
    """Equal, or within the 2 pixels that rounding a scaled size may take."""
    return all(abs(a - b) <= 2 for a, b in zip(got, expected, strict=True))


@rule("image_sha256", "success.sha256")
def _image_sha256(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received = exchange.received
    if received.image is None:
        return
    actual = sha256(received.image)
    if received.binary:
        claimed, where = received.header("x-image-sha256"), "X-Image-Sha256"
    else:
        claimed, where = (received.json or {}).get("image_sha256"), "image_sha256"
    if claimed != actual:
        yield f"{where} is {claimed!r}, the SHA-256 of the returned image bytes is {actual}"


@rule("alias_field", "success.alias_field")
def _alias_field(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received, view = exchange.received, RequestView(exchange, context.spec)
    body = received.json
    if not received.ok or received.binary or body is None:
        return
    offering = context.library.get(view.model or "", view.mode)
    if offering is not None and offering.response_field not in body:
        yield f"{offering.model} ({offering.mode}) must return its image in {offering.response_field} as well"
    for name, value in body.items():
        if name.endswith("_base64") and name != "image_base64" and value != body.get("image_base64"):
            yield f"{name} must carry the same base64 text as image_base64"


@rule("binary_headers", "binary.headers")
def _binary_headers(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received, view = exchange.received, RequestView(exchange, context.spec)
    if not received.binary:
        return
    seed = received.header("x-seed")
    if seed is None or not seed.isdigit() or int(seed) > _SEED_MAX:
        yield f"X-Seed must be the seed used (0..2^32-1), got {seed!r}"
    elif view.seed is not None and int(seed) != view.seed:
        yield f"seed {view.seed} was sent, X-Seed says {seed}"
    if not _SHA256.match(received.header("x-image-sha256") or ""):
        yield "X-Image-Sha256 must be the hex SHA-256 of the body"
    if not _non_negative_number(received.header("x-processing-time-seconds")):
        yield f"X-Processing-Time-Seconds must be a number >= 0, got {received.header('x-processing-time-seconds')!r}"
    extension = {"image/png": "png", "image/jpeg": "jpg"}.get(received.media, "?")
    wanted = f'inline; filename="{received.header("x-request-id")}.{extension}"'
    if received.header("content-disposition") != wanted:
        yield f"Content-Disposition must be {wanted!r}, got {received.header('content-disposition')!r}"


#: Fields every JSON success carries (contract.md's example; the spec's ``required``).
SUCCESS_FIELDS = (
    "request_id",
    "model",
    "mode",
    "seed",
    "width",
    "height",
    "output_format",
    "image_base64",
    "image_sha256",
    "processing_time_seconds",
    "created",
)
_REPORTED = {
    "model": "success.model_echoed",
    "mode": "edit.mode_inferred",
    "seed": "image.seed_random_reported",
    "s3_output_path": "success.s3_only_when_asked",
}
#: created within this many seconds of the suite's clock (a day: clocks of test machines drift)
_CLOCK_SLACK = 86_400


@rule("reported_fields", "success.fields")
def _reported_fields(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    received, view = exchange.received, RequestView(exchange, context.spec)
    body = received.json
    if not received.ok or received.binary or body is None:
        return
    missing = [name for name in SUCCESS_FIELDS if name not in body]
    if missing:
        yield f"a JSON success must carry {', '.join(missing)}"
    expected = {
        "model": view.model,
        "mode": view.mode,
        "seed": view.seed,
        "s3_output_path": view.get("s3_output_path", str),
    }
    for name, value in expected.items():
        if value is not None and body.get(name) != value:
            yield _REPORTED[name], f"{name} {value!r} was sent (or implied), the response reports {body.get(name)!r}"
    if view.seed is None and not (isinstance(body.get("seed"), int) and 0 <= body["seed"] <= _SEED_MAX):
        yield (
            _REPORTED["seed"],
            (f"without a seed the response must report the one it picked (0..2^32-1), got {body.get('seed')!r}"),
        )
    if "s3_output_path" not in view.params and "s3_output_path" in body:
        yield _REPORTED["s3_output_path"], "s3_output_path is reported although the request did not ask for it"
    created = body.get("created")
    if isinstance(created, int | float) and abs(created - exchange.at) > _CLOCK_SLACK:
        yield "success.created_seconds", f"created {created} is not Unix seconds of now ({int(exchange.at)})"
    offering = context.library.get(view.model or "", view.mode)
    if offering is not None and "use_lightning" in offering.extra_fields:
        lightning = view.value("weight", str) == "lightning"
        if body.get("use_lightning") is not lightning:
            yield (
                "success.use_lightning",
                f"use_lightning must be {str(lightning).lower()} for weight {view.value('weight', str)!r}",
            )


@rule("api_key_not_echoed", "error.no_api_key")
def _api_key_not_echoed(exchange: Exchange, context: RuleContext) -> Iterator[Said]:
    sent, received = exchange.sent, exchange.received
    token = (sent.header("authorization") or "").partition(" ")[2].strip()
    secrets = {token: "the key sent in Authorization", context.api_key: "the API key"}  # the same key once
    for secret, label in secrets.items():
        if len(secret) < _MIN_SECRET or secret.encode() in sent.body or secret in sent.url:
            continue  # too short to search for, or the client itself put it in the body or URL
        if secret.encode() in received.body:
            yield f"{label} appears in the response body (HTTP {received.status})"
        leaking = sorted(name for name, value in received.headers.items() if secret in value)
        if leaking:
            yield f"{label} appears in response header(s) {', '.join(leaking)}"


def _non_negative_number(text: str | None) -> bool:
    try:
        return text is not None and float(text) >= 0 and math.isfinite(float(text))
    except ValueError:
        return False


def _sketch(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
