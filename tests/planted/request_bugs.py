"""Servers that read, validate or route requests wrongly (each wrong in one way)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contract_tests.library import COMMON_PARAMETERS, SOURCE_FIELDS, ModelLibrary
from contract_tests.resources import bundled
from contract_tests.spec import ContractSpec

from .middleware import Bug
from .validation_bugs import PromptCharactersRefused
from .wire import DROP, Answer, Sent, error_answer, header, with_header

LIBRARY = ModelLibrary.load(bundled("fixtures/models.yaml"))
SPEC = ContractSpec.load()


class NoAuthOnMultipart(Bug):
    """The multipart route forgot the auth dependency: any or no key works."""

    def __init__(self, key: str) -> None:
        self.key = key

    def request(self, sent: Sent) -> Sent:
        if not sent.content_type.startswith("multipart/"):
            return sent
        headers = [(k, v) for k, v in sent.headers if k.lower() != b"authorization"]
        return Sent(sent.method, sent.path, [*headers, (b"authorization", f"Bearer {self.key}".encode())], sent.body)


class EdgeValue500(Bug):
    """Width or height 2048 overflows a buffer: a 500."""

    def request(self, sent: Sent) -> Sent | Answer:
        if 2048 in (_number(sent.param("width")), _number(sent.param("height"))):
            return error_answer(500, "internal_error", "internal error")
        return sent


class Unicode500(PromptCharactersRefused):
    """A prompt outside the Basic Multilingual Plane (an emoji) crashes the caption renderer."""

    def __init__(self) -> None:
        super().__init__(0xFFFF, 500, "internal_error")


class KeyInErrors(Bug):
    """Error messages end with the request's Authorization header, for "debugging"."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status < 400 or document is None or "error" not in document:
            return answer
        error = {
            **document["error"],
            "message": f"{document['error']['message']} [{header(sent.headers, 'authorization')}]",
        }
        return answer.with_json({"error": error})


class UnknownModelFallback(Bug):
    """Unknown model ids silently fall back to eigen-image."""

    def request(self, sent: Sent) -> Sent:
        model = sent.param("model")
        if isinstance(model, str) and model and model not in LIBRARY.models():
            return sent.with_param("model", "eigen-image")
        return sent


class WrongErrorShape(Bug):
    """Errors come back FastAPI-style: {"detail": "..."}."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status < 400 or document is None or "error" not in document:
            return answer
        return answer.with_json({"detail": document["error"]["message"]})


class NoRequestIdOnErrors(Bug):
    """The error handler builds its own response and forgets X-Request-Id."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("x-request-id", None) if answer.status >= 400 else answer


class DownsizingIgnored(Bug):
    """downsizing_mp is accepted and ignored: edits keep the source's full size."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("downsizing_mp", DROP) if sent.param("downsizing_mp") is not None else sent


class UnsupportedAccepted(Bug):
    """Parameters a model does not support are silently dropped instead of rejected."""

    def request(self, sent: Sent) -> Sent:
        model, mode = (
            sent.param("model"),
            sent.param("mode") or ("image-editing" if sent.has_source else "text-to-image"),
        )
        offering = LIBRARY.get(str(model), mode)
        if offering is None:
            return sent
        for name in sent.names():
            if (
                name not in COMMON_PARAMETERS
                and name not in SOURCE_FIELDS
                and not offering.accepts(name)
                and name != "size"
            ):
                sent = sent.with_param(name, DROP)
        return sent


class LenientJsonTypes(Bug):
    """JSON strings are coerced to numbers and booleans ("seed": "42" works)."""

    def request(self, sent: Sent) -> Sent:
        document = sent.json
        if document is None:
            return sent
        for name, value in document.items():
            if isinstance(value, str) and value.lstrip("-").isdigit():
                sent = sent.with_param(name, int(value))
            elif value in ("true", "false"):
                sent = sent.with_param(name, value == "true")
        return sent


class NoWwwAuthenticate(Bug):
    """401s without WWW-Authenticate: Bearer."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("www-authenticate", None) if answer.status == 401 else answer


class ModeNotInferred(Bug):
    """A request without mode is always text-to-image, even when it carries a source image."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("mode", "text-to-image") if sent.param("mode") is None and sent.has_source else sent


class RejectsNegativePrompt(Bug):
    """negative_prompt is refused although the model library lists it."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.param("negative_prompt") is not None:
            return error_answer(400, "unsupported_parameter", "negative_prompt is not supported")
        return sent


class SecondSourceIgnored(Bug):
    """Only the first source field is read; a second one is silently ignored."""

    def request(self, sent: Sent) -> Sent:
        fields = [name for name in dict.fromkeys(sent.names()) if name in ("image_file", "image", "image_path")]
        for extra in fields[1:]:
            sent = sent.with_param(extra, DROP)
        return sent


class ContentTypeSniffed(Bug):
    """The Content-Type is ignored and every body is parsed as JSON (text/plain gets 400, not 415)."""

    def request(self, sent: Sent) -> Sent:
        if sent.content_type.startswith(("application/json", "multipart/")) or sent.method != "POST":
            return sent
        return Sent(sent.method, sent.path, with_header(sent.headers, "content-type", "application/json"), sent.body)


class S3PathUnchecked(Bug):
    """s3_output_path is not validated, so a malformed one fails at write time: 502 instead of 400."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json or {}
        if answer.status == 400 and document.get("error", {}).get("code") == "invalid_s3_path":
            return error_answer(502, "storage_error", "could not write the result")
        return answer


class LenientMultipartValues(Bug):
    """Multipart text parts that do not parse, or fall outside their range or enum, are dropped (the
    default is used) instead of rejected: a lenient form parser."""

    def request(self, sent: Sent) -> Sent:
        if not sent.content_type.startswith("multipart/"):
            return sent
        for name in sent.names():
            schema, text = SPEC.parameters.get(name), sent.param(name)
            if schema is not None and isinstance(text, str) and not _text_is_valid(text, schema):
                sent = sent.with_param(name, DROP)
        return sent


def _text_is_valid(text: str, schema: dict[str, Any]) -> bool:
    if "enum" in schema:
        return text in schema["enum"]
    if schema.get("type") not in ("integer", "number"):
        return True
    value = _number(text)
    if value is None or schema["type"] == "integer" and value != int(value):
        return False
    return bool(schema.get("minimum", value) <= value <= schema.get("maximum", value))


class ConstantDefaultSeed(Bug):
    """A request without a seed always gets seed 42 (reported honestly), not a random one."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("seed", 42) if sent.param("seed") is None else sent


class JsonRangesClamped(Bug):
    """JSON numbers outside their range are clamped into it instead of rejected."""

    def request(self, sent: Sent) -> Sent:
        for name, value in (sent.json or {}).items():
            schema = SPEC.parameters.get(name, {})
            if isinstance(value, int | float) and not isinstance(value, bool) and "minimum" in schema:
                clamped = min(schema["maximum"], max(schema["minimum"], value))
                sent = sent.with_param(name, clamped) if clamped != value else sent
        return sent


class MultipartWebpRefused(Bug):
    """Multipart uploads are checked against image/png and image/jpeg only: WebP parts are refused."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.content_type.startswith("multipart/") and b"Content-Type: image/webp" in sent.body:
            return error_answer(400, "invalid_image", "image_file must be a PNG or JPEG image")
        return sent


class PatchRoutedToPost(Bug):
    """The route was declared with methods=["POST", "PATCH"]: PATCH generates images too."""

    def request(self, sent: Sent) -> Sent:
        return replace(sent, method="POST") if sent.method == "PATCH" else sent


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None
