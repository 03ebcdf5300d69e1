"""Servers that answer with the wrong image or the wrong facts about it (each wrong in one way).

Each keeps the rest of its answer consistent (a corrupted image gets a matching SHA-256, a cropped
one its alias fields), so that only the check named for it in ``catalog.py`` has a reason to fail.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from .middleware import Bug
from .wire import DROP, Answer, Sent, error_answer, header


def _reencode(data: bytes, change: Callable[[Image.Image], Image.Image] = lambda image: image, **options: Any) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format or "PNG"
        changed = change(image.convert("RGB"))
    out = io.BytesIO()
    changed.save(out, format=fmt, **options)
    return out.getvalue()


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


class JpegSynonymRejected(Bug):
    """output_format "jpeg" is refused: only "jpg" is accepted."""

    def request(self, sent: Sent) -> Sent | Answer:
        if sent.param("output_format") == "jpeg":
            return error_answer(400, "invalid_parameter", "output_format must be png or jpg")
        return sent


class BinaryHeadersMissing(Bug):
    """Binary results lose X-Seed and Content-Disposition behind a proxy that strips unknown headers."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        return answer.with_header("x-seed", None).with_header("content-disposition", None) if answer.binary else answer


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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
