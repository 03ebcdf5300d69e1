"""Plain value types passed between the layers (no HTTP, no I/O)."""

from __future__ import annotations

import dataclasses
from base64 import b64encode
from dataclasses import dataclass
from typing import Any, Literal

OutputFormat = Literal["png", "jpg"]
Mode = Literal["text-to-image", "image-editing"]


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part of a request (or a base64 image in a JSON body)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes = dataclasses.field(repr=False)


@dataclass(frozen=True, slots=True)
class RawRequest:
    """A parsed but not yet validated request body: scalars by name, and the file parts."""

    media_type: Literal["json", "multipart"]
    params: dict[str, Any]
    uploads: tuple[Upload, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """Everything the image depends on; the image is a pure function of this value."""

    model: str
    mode: Mode
    prompt: str
    seed: int
    width: int
    height: int
    output_format: OutputFormat
    negative_prompt: str = ""
    #: Other parameters that change the output, as sorted (name, canonical text) pairs.
    knobs: tuple[tuple[str, str], ...] = ()
    #: Source image bytes for editing, in request order; empty for text-to-image.
    sources: tuple[bytes, ...] = dataclasses.field(default=(), repr=False)
    #: Editing only: scale the source down to at most this many megapixels.
    downsizing_mp: float | None = None


@dataclass(frozen=True, slots=True)
class RenderedImage:
    data: bytes = dataclasses.field(repr=False)
    width: int
    height: int
    output_format: OutputFormat
    sha256: str

    @property
    def media_type(self) -> str:
        return "image/png" if self.output_format == "png" else "image/jpeg"

    def base64(self) -> str:
        return b64encode(self.data).decode("ascii")
