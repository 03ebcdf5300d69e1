"""Deliberately broken servers: the mock with one realistic bug each, and the check that must catch it.

Each bug is wrong in exactly one way; the rest of the response stays consistent (a corrupted image
gets a matching SHA-256, a cropped one keeps its alias fields), so that only the named check has a
reason to fail. ``tests/planted/test_planted_bugs.py`` runs that check against each and expects a
failure; the suite's own self-conformance run expects none of them on the real mock.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import boto3
from PIL import Image

from contract_tests.library import COMMON_PARAMETERS, SOURCE_FIELDS, ModelLibrary
from contract_tests.resources import bundled
from contract_tests.spec import ContractSpec
from mock_server import Settings

from .middleware import Bug
from .wire import DROP, Answer, Sent, header, with_header

LIBRARY = ModelLibrary.load(bundled("fixtures/models.yaml"))
SPEC = ContractSpec.load()


def _reencode(data: bytes, change: Callable[[Image.Image], Image.Image] = lambda image: image, **options: Any) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format or "PNG"
        changed = change(image.convert("RGB"))
    out = io.BytesIO()
    changed.save(out, format=fmt, **options)
    return out.getvalue()


def _error(status: int, code: str, message: str) -> Answer:
    body = {"error": {"code": code, "message": message, "param": None, "request_id": "gen_" + "0" * 32}}
    headers = [(b"content-type", b"application/json"), (b"x-request-id", b"gen_" + b"0" * 32)]
    return Answer(status, headers, b"").with_json(body)


class IgnoredSeed(Bug):
    """Renders every request with seed 0 but reports the seed that was sent."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("seed", 0) if sent.param("seed") is not None else sent

    def response(self, sent: Sent, answer: Answer) -> Answer:
        seed, document = sent.param("seed"), answer.json
        if seed is None or answer.status != 200:
            return answer
        if document is None:
            return answer.with_header("x-seed", str(seed))
        return answer.with_json({**document, "seed": int(seed)})


class WrongSize(Bug):
    """Text-to-image output 8 pixels short of the requested height (an off-by-padding crop)."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 200 or sent.has_source:
            return answer
        return answer.with_image(_reencode(answer.image, lambda im: im.crop((0, 0, im.width, im.height - 8))))


class WrongContentType(Bug):
    """Binary JPEG results are served as ``image/jpg``."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        is_jpeg = header(answer.headers, "content-type") == "image/jpeg"
        return answer.with_header("content-type", "image/jpg") if is_jpeg else answer


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
            return _error(500, "internal_error", "internal error")
        return sent


class Unicode500(Bug):
    """A prompt outside the Basic Multilingual Plane (an emoji) crashes the caption renderer."""

    def request(self, sent: Sent) -> Sent | Answer:
        prompt = sent.param("prompt")
        if isinstance(prompt, str) and any(ord(ch) > 0xFFFF for ch in prompt):
            return _error(500, "internal_error", "internal error")
        return sent


class MissingS3Write(Bug):
    """Claims the upload (echoes s3_output_path) but never writes it."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("s3_output_path", DROP)

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path, document = sent.param("s3_output_path"), answer.json
        if path is None or document is None or answer.status != 200:
            return answer
        return answer.with_json({**document, "s3_output_path": path})


class _S3Bug(Bug):
    def __init__(self, settings: Settings) -> None:
        self.s3 = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def put(self, path: str, data: bytes) -> None:
        bucket, _, key = path.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/png")


class PartialS3Write(_S3Bug):
    """A multipart upload whose last part never lands: the object holds half the image."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path = sent.param("s3_output_path")
        if answer.status == 200 and isinstance(path, str):
            self.put(path, answer.image[: len(answer.image) // 2])
        return answer


class S3WriteOnFailure(_S3Bug):
    """Writes a placeholder before validating, and leaves it behind when the request fails."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        path = sent.param("s3_output_path")
        if answer.status >= 400 and isinstance(path, str) and path.startswith("s3://") and "/" in path[5:]:
            try:
                self.put(path, b"placeholder")
            except Exception:
                pass
        return answer


class CorruptImage(Bug):
    """The last 64 bytes of every image are lost (a short write); the SHA-256 is of what is sent."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_image(answer.image[:-64]) if answer.status == 200 else answer


class AliasMismatch(Bug):
    """The model's own field (turbo_image_base64, ...) carries the low-resolution preview."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200 or document is None:
            return answer
        preview = base64.b64encode(_reencode(answer.image, lambda im: im.resize((64, 64)))).decode()
        aliases = [k for k in document if k.endswith("_base64") and k != "image_base64"]
        return answer.with_json({**document, **dict.fromkeys(aliases, preview)})


class WrongSha256(Bug):
    """image_sha256 / X-Image-Sha256 hash the base64 text instead of the image bytes."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200:
            return answer
        if document is None:
            return answer.with_header("x-image-sha256", hashlib.sha256(base64.b64encode(answer.body)).hexdigest())
        return answer.with_json(
            {**document, "image_sha256": hashlib.sha256(document["image_base64"].encode()).hexdigest()}
        )


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


class IgnoresOutputFormat(Bug):
    """Always encodes PNG, whatever output_format says (and still reports the format asked for)."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("output_format", DROP) if sent.param("output_format") is not None else sent

    def response(self, sent: Sent, answer: Answer) -> Answer:
        asked, document = sent.param("output_format"), answer.json
        if answer.status != 200 or document is None or asked is None:
            return answer
        return answer.with_json({**document, "output_format": "jpg" if asked in ("jpg", "jpeg") else asked})


class BinaryReencoded(Bug):
    """The binary path re-encodes the image (optimized PNG), so its bytes differ from the JSON image."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if not answer.binary or header(answer.headers, "content-type") != "image/png":
            return answer
        return answer.with_image(_reencode(answer.image, optimize=True, compress_level=9))


class EditIgnoresSource(Bug):
    """Editing renders from the prompt and seed only: the source image is never read."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 200 or not sent.has_source:
            return answer
        seed = int((answer.json or {}).get("seed", header(answer.headers, "x-seed") or 0))
        colour = tuple(hashlib.sha256(str(seed).encode()).digest()[:3])
        return answer.with_image(_reencode(answer.image, lambda im: Image.new("RGB", im.size, colour)))


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


class MeasuredProcessingTime(Bug):
    """processing_time_seconds is the server's own wall-clock time, so identical requests differ."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200 or document is None:
            return answer
        return answer.with_json({**document, "processing_time_seconds": round(time.perf_counter() % 1, 6)})


class PickedSeedNotReported(Bug):
    """Without a seed the server picks one at random but reports 0."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        if answer.status != 200 or sent.param("seed") is not None:
            return answer
        document = answer.json
        return answer.with_header("x-seed", "0") if document is None else answer.with_json({**document, "seed": 0})


class NoWwwAuthenticate(Bug):
    """401s without WWW-Authenticate: Bearer."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("www-authenticate", None) if answer.status == 401 else answer


class ModeNotInferred(Bug):
    """A request without mode is always text-to-image, even when it carries a source image."""

    def request(self, sent: Sent) -> Sent:
        return sent.with_param("mode", "text-to-image") if sent.param("mode") is None and sent.has_source else sent


class JpegSynonymRejected(Bug):
    """output_format "jpeg" is refused: only "jpg" is accepted."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.param("output_format") == "jpeg":
            return _error(400, "invalid_parameter", "output_format must be png or jpg")
        return sent


class BinaryHeadersMissing(Bug):
    """Binary results lose X-Seed and Content-Disposition behind a proxy that strips unknown headers."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("x-seed", None).with_header("content-disposition", None) if answer.binary else answer


class RejectsNegativePrompt(Bug):
    """negative_prompt is refused although the model library lists it."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.param("negative_prompt") is not None:
            return _error(400, "unsupported_parameter", "negative_prompt is not supported")
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
            return _error(502, "storage_error", "could not write the result")
        return answer


class AliasModelCanonicalized(Bug):
    """An alias (qwen-image-edit) is reported as the model it stands for, not echoed as sent."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200 or document is None or document.get("model") != "qwen-image-edit":
            return answer
        return answer.with_json({**document, "model": "qwen-image-edit-2511"})


class CreatedAsText(Bug):
    """created is an ISO-8601 string instead of Unix seconds (the response schema says integer)."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        document = answer.json
        if answer.status != 200 or document is None:
            return answer
        return answer.with_json({**document, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


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


class MultipartWebpRefused(Bug):
    """Multipart uploads are checked against image/png and image/jpeg only: WebP parts are refused."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.content_type.startswith("multipart/") and b"Content-Type: image/webp" in sent.body:
            return _error(400, "invalid_image", "image_file must be a PNG or JPEG image")
        return sent


class PatchRoutedToPost(Bug):
    """The route was declared with methods=["POST", "PATCH"]: PATCH generates images too."""

    def request(self, sent: Sent) -> Sent:
        return replace(sent, method="POST") if sent.method == "PATCH" else sent


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class PlantedBug:
    name: str
    check: str  # the check that must fail on it
    make: Callable[[Settings], Bug]
    s3: bool = False


PLANTED: list[PlantedBug] = [
    PlantedBug("ignored_seed", "seed_sensitivity", lambda s: IgnoredSeed()),
    PlantedBug("wrong_size", "image_size", lambda s: WrongSize()),
    PlantedBug("wrong_content_type", "image_format", lambda s: WrongContentType()),
    PlantedBug("no_auth_on_multipart", "auth_required", lambda s: NoAuthOnMultipart(s.api_keys[0])),
    PlantedBug("500_on_width_2048", "server_errors", lambda s: EdgeValue500()),
    PlantedBug("500_on_emoji_prompt", "server_errors", lambda s: Unicode500()),
    PlantedBug("missing_s3_write", "s3_write", lambda s: MissingS3Write(), s3=True),
    PlantedBug("partial_s3_write", "s3_write", PartialS3Write, s3=True),
    PlantedBug("s3_write_on_failure", "s3_no_object_on_failure", S3WriteOnFailure, s3=True),
    PlantedBug("corrupt_image", "image_format", lambda s: CorruptImage()),
    PlantedBug("alias_field_differs", "alias_field", lambda s: AliasMismatch()),
    PlantedBug("wrong_sha256", "image_sha256", lambda s: WrongSha256()),
    PlantedBug("key_in_error_message", "api_key_not_echoed", lambda s: KeyInErrors()),
    PlantedBug("unknown_model_accepted", "errors_models", lambda s: UnknownModelFallback()),
    PlantedBug("wrong_error_shape", "error_shape", lambda s: WrongErrorShape()),
    PlantedBug("no_request_id_on_errors", "request_id", lambda s: NoRequestIdOnErrors()),
    PlantedBug("ignores_output_format", "image_format", lambda s: IgnoresOutputFormat()),
    PlantedBug("binary_differs_from_json", "binary_matches_json", lambda s: BinaryReencoded()),
    PlantedBug("edit_ignores_source", "editing_depends_on_source", lambda s: EditIgnoresSource()),
    PlantedBug("downsizing_ignored", "editing_downsizing", lambda s: DownsizingIgnored()),
    PlantedBug("unsupported_parameter_accepted", "unsupported_parameters", lambda s: UnsupportedAccepted()),
    PlantedBug("lenient_json_types", "errors_parameters", lambda s: LenientJsonTypes()),
    PlantedBug("measured_processing_time", "determinism", lambda s: MeasuredProcessingTime()),
    PlantedBug("picked_seed_not_reported", "seed_round_trip", lambda s: PickedSeedNotReported()),
    PlantedBug("no_www_authenticate", "auth_required", lambda s: NoWwwAuthenticate()),
    PlantedBug("mode_not_inferred", "editing_sources", lambda s: ModeNotInferred()),
    PlantedBug("jpeg_synonym_rejected", "image_format", lambda s: JpegSynonymRejected()),
    PlantedBug("binary_headers_missing", "binary_headers", lambda s: BinaryHeadersMissing()),
    PlantedBug("declared_parameter_rejected", "accepts_declared_parameters", lambda s: RejectsNegativePrompt()),
    PlantedBug("second_source_ignored", "errors_sources", lambda s: SecondSourceIgnored()),
    PlantedBug("content_type_sniffed", "errors_request_format", lambda s: ContentTypeSniffed()),
    PlantedBug("s3_path_unchecked", "errors_s3_path", lambda s: S3PathUnchecked()),
    PlantedBug("alias_model_canonicalized", "reported_fields", lambda s: AliasModelCanonicalized()),
    PlantedBug("created_as_text", "schema_positive_json", lambda s: CreatedAsText()),
    PlantedBug("multipart_webp_refused", "schema_positive_multipart", lambda s: MultipartWebpRefused()),
    PlantedBug("lenient_multipart_values", "schema_negative_multipart", lambda s: LenientMultipartValues()),
    PlantedBug("patch_routed_to_post", "schema_coverage", lambda s: PatchRoutedToPost()),
]
