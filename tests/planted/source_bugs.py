"""Servers that read editing sources wrongly: one image of several, the wrong size, the wrong field
name, limits unchecked, crashes on bad or huge images (each wrong in one way)."""

from __future__ import annotations

import io
import struct

from PIL import Image

from contract_tests.library import ModelLibrary
from contract_tests.resources import bundled

from .middleware import Bug
from .wire import DROP, Answer, Sent, error_answer

LIBRARY = ModelLibrary.load(bundled("fixtures/models.yaml"))
_SOURCES = ("image_file", "image", "images", "image_path")
#: The mock's per-source pixel bound (Settings.max_source_pixels).
_BOUND = 40_000_000


class OnlyFirstImageRead(Bug):
    """Of several images parts only the first is read (a form parser's ``get`` instead of ``getlist``)."""

    def request(self, sent: Sent) -> Sent:
        return sent.keeping_first("images")


class OutputHasLastImageSize(Bug):
    """An edit of several images comes back at the size of the last one, not the first."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        images = sent.file_parts("images")
        if answer.status != 200 or len(images) < 2:
            return answer
        with Image.open(io.BytesIO(images[-1])) as last:
            size = last.size
        with Image.open(io.BytesIO(answer.image)) as result:
            fmt, resized = result.format or "PNG", result.convert("RGB").resize(size)
        out = io.BytesIO()
        resized.save(out, format=fmt)
        document = answer.json
        fixed = answer.with_image(out.getvalue())
        return fixed if document is None else fixed.with_json({**fixed.json, "width": size[0], "height": size[1]})  # type: ignore[dict-item]


class ImagesFieldRefused(Bug):
    """Only image_file and image are source fields: images is an unknown parameter."""

    def request(self, sent: Sent) -> Sent | Answer:
        if "images" in {name for name, _ in sent.fields()}:
            return error_answer(400, "unsupported_parameter", "images is not a parameter")
        return sent


class EditWithoutSourceRenders(Bug):
    """mode image-editing without a source falls back to text-to-image."""

    def request(self, sent: Sent) -> Sent:
        if sent.param("mode") == "image-editing" and not sent.has_source:
            return sent.with_param("mode", "text-to-image")
        return sent


class EditOnlyModelWrongCode(Bug):
    """An editing-only model without mode or source is answered 400 invalid_parameter (neither allowed code)."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = (answer.json or {}).get("error")
        if isinstance(error, dict) and error.get("code") in ("missing_source_image", "unsupported_parameter"):
            model = str(sent.param("model"))
            if sent.param("mode") is None and not sent.has_source and LIBRARY.modes_of(model) == ["image-editing"]:
                return error_answer(400, "invalid_parameter", "mode is required")
        return answer


class ImageCountUnchecked(Bug):
    """More images than the model takes are not refused: the extra ones are dropped."""

    def request(self, sent: Sent) -> Sent:
        offering = LIBRARY.get(str(sent.param("model")), "image-editing")
        if offering is None or len(sent.file_parts("images")) <= offering.max_source_images:
            return sent
        return sent.keeping_first("images")


class SourceIgnoredInT2i(Bug):
    """A source sent with mode text-to-image is ignored instead of refused."""

    def request(self, sent: Sent) -> Sent:
        if sent.param("mode") != "text-to-image":
            return sent
        for name in _SOURCES:
            sent = sent.with_param(name, DROP)
        return sent


class InvalidImage500(Bug):
    """Undecodable sources crash the decoder: a 500 instead of 400 invalid_image."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = (answer.json or {}).get("error")
        if isinstance(error, dict) and error.get("code") == "invalid_image" and not _declares_bomb(sent):
            return error_answer(500, "internal_error", "internal error")
        return answer


class DecompressionBombCrashes(Bug):
    """A source whose header declares more pixels than the bound is decoded anyway: out of memory, a 500."""

    def request(self, sent: Sent) -> Sent | Answer:
        if _declares_bomb(sent):
            return error_answer(500, "internal_error", "internal error")
        return sent


def _declares_bomb(sent: Sent) -> bool:
    for name in ("image_file", "image", "images"):
        for data in sent.file_parts(name):
            start = data.find(b"IHDR")
            if start >= 0 and len(data) >= start + 12:
                width, height = struct.unpack(">II", data[start + 4 : start + 12])
                if width * height > _BOUND:
                    return True
    return False


class SourceUnavailable500(Bug):
    """An image_path that cannot be fetched escapes as a 500."""

    def response(self, sent: Sent, answer: Answer) -> Answer:
        error = (answer.json or {}).get("error")
        if isinstance(error, dict) and error.get("code") == "source_unavailable":
            return error_answer(500, "internal_error", "internal error")
        return answer
