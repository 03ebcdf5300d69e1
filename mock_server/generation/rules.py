"""The contract's rules that combine a validated request with the model library.

Mode inference, source images, per-model and per-mode parameter support, output defaults and
the deterministic ``processing_time_seconds``. Pure functions: no HTTP, no I/O.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from mock_server.datatypes import Mode, OutputFormat, Upload
from mock_server.errors import (
    ConflictingSourceImages,
    InvalidImage,
    MissingSourceImage,
    UnknownModel,
    UnsupportedParameter,
)
from mock_server.generation.library import ModelLibrary, ModelSpec
from mock_server.s3.paths import S3Location

#: Accepted by every model in every mode (the contract's common parameters).
COMMON_PARAMETERS = frozenset({"model", "prompt", "mode", "seed", "output_format", "binary_response", "s3_output_path"})
SOURCE_PARAMETERS = ("image_file", "image", "images", "image_path")
#: Parameters that do not change the pixels (so they are not part of the image's identity).
_NOT_KNOBS = COMMON_PARAMETERS | set(SOURCE_PARAMETERS) | {"width", "height", "negative_prompt", "downsizing_mp"}
DEFAULT_STEPS = 30


@dataclass(frozen=True, slots=True)
class Source:
    """One editing source: bytes already at hand, or an ``image_path`` to fetch."""

    param: str
    data: bytes | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What to generate, decided from the request before any image work."""

    model_id: str
    model: ModelSpec
    mode: Mode
    params: dict[str, Any]
    sources: tuple[Source, ...]
    output_format: OutputFormat
    binary_response: bool
    s3_output: S3Location | None

    @property
    def response_field(self) -> str:
        return self.model.modes[self.mode].response_field

    def knobs(self, defaults: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        """Pixel-changing parameters as canonical text, leaving out those equal to the spec's default."""
        chosen = {k: v for k, v in self.params.items() if k not in _NOT_KNOBS and defaults.get(k, object()) != v}
        return tuple(sorted((name, _canonical(value)) for name, value in chosen.items()))


def plan(params: dict[str, Any], uploads: tuple[Upload, ...], library: ModelLibrary) -> Plan:
    model = _model(params["model"], library)
    sources = _sources(params, uploads)
    mode = _mode(params, model, sources)
    _check_sources(mode, model, sources)
    _check_support(params, model, mode)
    raw_s3 = params.get("s3_output_path")
    return Plan(
        model_id=params["model"],
        model=model,
        mode=mode,
        params=params,
        sources=sources,
        output_format="png" if params.get("output_format", "png") == "png" else "jpg",
        binary_response=bool(params.get("binary_response", False)),
        s3_output=S3Location.parse(raw_s3, param="s3_output_path") if raw_s3 is not None else None,
    )


def _model(model_id: str, library: ModelLibrary) -> ModelSpec:
    found = library.get(model_id)
    if found is None:
        shown = model_id if len(model_id) <= 60 else model_id[:57] + "..."
        raise UnknownModel(f"unknown model {shown!r}; valid models: {', '.join(library.ids())}", param="model")
    return found


def _sources(params: dict[str, Any], uploads: tuple[Upload, ...]) -> tuple[Source, ...]:
    found = [Source(upload.field, data=upload.data) for upload in uploads]
    for name in ("image_file", "image"):
        if name in params:
            found.append(Source(name, data=_b64(params[name], name)))
    found.extend(Source("images", data=_b64(text, "images")) for text in params.get("images", ()))
    if "image_path" in params:
        found.append(Source("image_path", path=params["image_path"]))
    return tuple(found)


def _b64(text: str, param: str) -> bytes:
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage(f"{param} is not valid base64", param=param) from None


# Twin of contract_tests/judging/view.py's mode inference; keep both: the suite never imports mock_server.
def _mode(params: dict[str, Any], model: ModelSpec, sources: tuple[Source, ...]) -> Mode:
    requested: Mode | None = params.get("mode")
    mode: Mode = requested or ("image-editing" if sources else "text-to-image")
    if mode in model.modes:
        return mode
    if requested is None and "image-editing" in model.modes:
        raise MissingSourceImage(
            f"{model.id} only edits images: send a source (image_file, image, images or image_path)"
        )
    offered = ", ".join(model.modes)
    raise UnsupportedParameter(f"model {params['model']} does not support mode {mode} (it offers {offered})", "mode")


def _check_sources(mode: Mode, model: ModelSpec, sources: tuple[Source, ...]) -> None:
    fields = list(dict.fromkeys(source.param for source in sources))
    if mode == "text-to-image":
        if fields:
            raise UnsupportedParameter(f"{fields[0]} is a source image, which text-to-image does not take", fields[0])
        return
    if not sources:
        raise MissingSourceImage("image-editing needs a source: image_file, image, images or image_path")
    if len(fields) > 1:
        raise ConflictingSourceImages(f"send one source field, not {' and '.join(fields)}", param=fields[1])
    if len(sources) > 1 and (fields[0] != "images" or len(sources) > model.max_source_images):
        limit = model.max_source_images
        allowed = f"up to {limit} repeated 'images'" if limit > 1 else "exactly one source image"
        raise ConflictingSourceImages(f"{model.id} takes {allowed}; got {len(sources)}", param=fields[0])


def _check_support(params: dict[str, Any], model: ModelSpec, mode: Mode) -> None:
    allowed = COMMON_PARAMETERS | model.modes[mode].parameters | set(SOURCE_PARAMETERS)
    for name in params:
        if name not in allowed:
            raise UnsupportedParameter(f"{name} is not supported by {params['model']} in {mode} mode", param=name)


def _canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def processing_seconds(model: ModelSpec, params: dict[str, Any], width: int, height: int) -> float:
    """What the live model would plausibly take: a deterministic function of size and steps."""
    steps = params.get("num_inference_steps") or params.get("sample_steps") or DEFAULT_STEPS
    megapixels = width * height / 1_000_000
    return round(model.base_seconds + model.seconds_per_megapixel_step * megapixels * steps, 3)


def extra_fields(model: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "use_lightning" in model.extra_fields:
        fields["use_lightning"] = params.get("weight", "lightning") == "lightning"
    return fields
