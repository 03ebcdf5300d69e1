"""Deterministic image synthesis: text-to-image canvases and edits of source images.

The image is a pure function of the ``RenderSpec``: every choice (pattern, colours, tint) comes
from a SHA-256 of a canonical encoding of the spec, never from ``hash()``, time or a global RNG.
A caption band at the bottom shows the model, the size, the seed and the start of the prompt.

Every output is an 8-bit palette picture with the same shape: a ``_Base`` (palette indices whose
rows above the caption are deflated once, see ``png``) that many requests share, a palette of
``_COLORS`` entries chosen per request, and the caption's rows. Text-to-image bases are the index
pattern of a size; an edit's base is its sources blended and quantised to ``_COLORS`` colours
(once per source set, see ``edits``), and its seed tints the base's palette. So a new seed costs
a palette, one caption line and the joining of precompressed parts, whatever the size; JPEG
output is the same picture converted and encoded in full. ``Renderer`` adds thread-safe LRU
caches of encoded results and of edit bases.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import orjson
from PIL import Image, ImageFile
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngImageFile
from PIL.WebPImagePlugin import WebPImageFile

from mock_server.datatypes import RenderedImage, RenderSpec
from mock_server.errors import InvalidImage
from mock_server.imaging import caption
from mock_server.imaging.edits import EditCache, tint
from mock_server.imaging.palette_image import COLORS, Base, EncodedImage, base64_of, base64_parts, encode, make_base
from mock_server.lru import LRU

_VERSION = "eigen-mock-imaging/6"  # part of every digest: bump it when the pictures change
_MASTER = 2048  # side of the pattern plane; a canvas shows its centre
_GRID = 129  # the pattern is sampled on a _GRID-square grid and enlarged smoothly
_COLORS = COLORS


@dataclass(frozen=True, slots=True)
class SourceImage:
    """A decoded, validated editing source (RGB; alpha is composited over white)."""

    image: Image.Image
    sha256: str  #: of the original bytes
    width: int
    height: int


def _image_class(data: bytes) -> type[ImageFile.ImageFile] | None:
    """The Pillow plugin for the real format of ``data`` (by magic bytes), if it is allowed."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PngImageFile
    if data.startswith(b"\xff\xd8\xff"):
        return JpegImageFile
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WebPImageFile
    return None


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        white.alpha_composite(image.convert("RGBA"))
        return white.convert("RGB")
    return image.convert("RGB")


def _opened(data: bytes, *, max_pixels: int, param: str) -> ImageFile.ImageFile:
    """``data`` opened (its header read, no pixel decoded) if it is a PNG, JPEG or WebP of at most
    ``max_pixels`` pixels; ``InvalidImage`` otherwise."""
    if not data:
        raise InvalidImage(f"{param} is empty", param=param)
    plugin = _image_class(data)
    if plugin is None:
        raise InvalidImage(f"{param} is not a PNG, JPEG or WebP image", param=param)
    try:
        # The plugin class itself, not Image.open: the size check below replaces Pillow's
        # bomb check, which would warn (an error under strict warning filters) or raise.
        opened = plugin(io.BytesIO(data))
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error, ...
        raise InvalidImage(f"{param} could not be decoded as a PNG, JPEG or WebP image", param=param) from exc
    width, height = opened.size
    if width * height > max_pixels:
        raise InvalidImage(f"{param} is {width}x{height} pixels, more than the limit of {max_pixels}", param=param)
    if width < 1 or height < 1:
        raise InvalidImage(f"{param} has no pixels ({width}x{height})", param=param)
    return opened


def source_pixels(data: bytes, *, max_pixels: int, param: str = "image_file") -> int:
    """The pixels of an editing source, read from its header (nothing is decoded)."""
    width, height = _opened(data, max_pixels=max_pixels, param=param).size
    return int(width * height)


def decode_source(data: bytes, *, max_pixels: int, param: str = "image_file") -> SourceImage:
    """Decode an editing source, refusing anything but a sound PNG, JPEG or WebP of at most
    ``max_pixels`` pixels. The size is read from the header before any pixel is decoded."""
    opened = _opened(data, max_pixels=max_pixels, param=param)
    try:
        opened.load()
        image = opened if opened.mode == "RGB" and "transparency" not in opened.info else _to_rgb(opened)
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error, ...
        raise InvalidImage(f"{param} could not be decoded as a PNG, JPEG or WebP image", param=param) from exc
    return SourceImage(image, hashlib.sha256(data).hexdigest(), image.width, image.height)


def output_size_for_edit(width: int, height: int, downsizing_mp: float | None) -> tuple[int, int]:
    """The edit output size: the source's, scaled down (never up) to ``downsizing_mp`` megapixels."""
    if downsizing_mp is None or width * height <= downsizing_mp * 1_000_000:
        return width, height
    limit = max(1, math.floor(downsizing_mp * 1_000_000))  # never above the float product (16e6 - 2e-9 once)
    scale = math.sqrt(limit / (width * height))
    new_w, new_h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    new_w, new_h = min(new_w, max(1, limit // new_h)), min(new_h, max(1, limit // new_w))
    return new_w, new_h


def _spec_digest(spec: RenderSpec, source_hashes: Sequence[str]) -> bytes:
    """SHA-256 of a canonical JSON encoding of everything the picture depends on (the output format
    aside: PNG and JPEG of one request show the same picture). orjson's encoding, cheaper than
    json.dumps on every request; for what orjson refuses (a lone surrogate in a prompt) the
    standard library's, ASCII: either way the same spec always gives the same digest."""
    mp = None if spec.downsizing_mp is None else repr(float(spec.downsizing_mp))
    fields = [
        _VERSION,
        spec.model,
        spec.mode,
        spec.prompt,
        spec.negative_prompt,
        spec.seed,
        spec.width,
        spec.height,
        [list(knob) for knob in spec.knobs],
        list(source_hashes),
        mp,
        None,  # None: where the format was
    ]
    try:
        encoded = orjson.dumps(fields)
    except TypeError:
        encoded = json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).digest()


@lru_cache(maxsize=1024)
def _text_to_image_digest(spec: RenderSpec) -> bytes:
    """A spec with no sources is its own key (a frozen dataclass hashes cheaply): a repeated request
    skips the encoding and the SHA-256."""
    return _spec_digest(spec, ())


def _byte(value: float) -> int:
    return min(255, max(0, round(value)))


@lru_cache(maxsize=3 * 16 * 16)
def _channel_wave(cycles: int, amp_level: int, base_level: int) -> bytes:
    """One channel of a cosine palette, twice over (so a rotation is a slice): ``cycles`` periods
    over the ``_COLORS`` entries, amplitude and mean from 16 levels each. At most 768 of them."""
    base = 255 * (0.3 + 0.35 * base_level / 15)
    amp = 255 * (0.3 + 0.25 * amp_level / 15)
    once = bytes(_byte(base + amp * math.cos(math.tau * cycles * i / _COLORS)) for i in range(_COLORS))
    return once + once


def _palette(digest: bytes) -> bytes:
    """A cyclic cosine palette of ``_COLORS`` entries chosen by the digest: per channel an amplitude,
    a mean and a phase (a rotation), from tables made once; a new seed costs three slices."""
    cycles = 1 + digest[1] % 3
    rgb = bytearray(3 * _COLORS)
    for c in range(3):
        phase = digest[8 + c] * _COLORS // 256
        rgb[c::3] = _channel_wave(cycles, digest[5 + c] >> 4, digest[2 + c] >> 4)[phase : phase + _COLORS]
    return bytes(rgb)


def _tint_lut(digest: bytes) -> list[int]:
    """A per-channel lookup table (768 entries) that recolours an edit's sources."""
    lut: list[int] = []
    for c in range(3):
        phase = digest[8 + c] / 255
        amount = 0.4 + 0.3 * digest[11 + c] / 255
        curve = (127.5 + 127.5 * math.cos(math.tau * (v / 255 + phase)) for v in range(256))
        lut.extend(_byte(v * (1 - amount) + k * amount) for v, k in zip(range(256), curve, strict=True))
    return lut


# Index patterns, as smooth functions of (x, y) on the master canvas; values wrap modulo _COLORS.
def _rings(x: float, y: float) -> float:
    return 1.2 * math.hypot(x - 800, y - 900) + 20 * math.sin(x / 97)


def _waves(x: float, y: float) -> float:
    return 45 * (math.sin(x / 170) + math.sin(y / 130) + math.sin((x + y) / 210) + math.sin(math.hypot(x, y) / 90))


def _interference(x: float, y: float) -> float:
    return 0.9 * (math.hypot(x - 700, y - 1200) - math.hypot(x - 1400, y - 800))


def _ripples(x: float, y: float) -> float:
    return 0.55 * (x + 0.6 * y) + 70 * math.sin(x / 150) * math.cos(y / 190)


_PATTERNS: tuple[Callable[[float, float], float], ...] = (_rings, _waves, _interference, _ripples)


@lru_cache(maxsize=len(_PATTERNS))
def _grid(variant: int) -> Image.Image:
    """The pattern sampled on a coarse "F" grid spanning the ``_MASTER``-square plane."""
    step = _MASTER / (_GRID - 1)
    fn = _PATTERNS[variant]
    values = (round(fn(i * step, j * step) * 16) / 16 + 9000 for j in range(_GRID) for i in range(_GRID))
    return Image.frombytes("F", (_GRID, _GRID), array("f", values).tobytes())


@lru_cache(maxsize=1)
def _wrap_lut() -> list[int]:
    """Maps the pattern's 32-bit values (all in 0..65535) to palette indices."""
    return [v % _COLORS for v in range(65536)]


def _index_canvas(variant: int, width: int, height: int) -> Image.Image:
    """The pattern's palette indices for one size: the plane's centre, enlarged from the grid.

    Drawn at half resolution and doubled: the pattern is smooth, so the 2x2 blocks do not show, and
    a row that repeats the one above costs almost nothing in the PNG (``png.filtered_rows``): a
    1024² file is 42 KB instead of 89 KB, so there is half as much to hash, encode and send. A
    canvas larger than the plane shows all of it, stretched."""
    half_w, half_h = (width + 1) // 2, (height + 1) // 2
    step = _MASTER / (_GRID - 1)
    scale = step * max(1.0, width / _MASTER, height / _MASTER) / 2  # half-canvas pixels per grid cell
    left, top = (_MASTER / step - half_w / scale) / 2 + 0.5, (_MASTER / step - half_h / scale) / 2 + 0.5
    box = (left, top, left + half_w / scale, top + half_h / scale)
    smooth = _grid(variant).resize((half_w, half_h), Image.Resampling.BILINEAR, box=box)
    half = smooth.convert("I").point(_wrap_lut(), "L")
    return half.resize((2 * half_w, 2 * half_h), Image.Resampling.NEAREST).crop((0, 0, width, height))


@lru_cache(maxsize=16)
def _t2i_base(variant: int, width: int, height: int) -> Base:
    """Shared by every text-to-image request of this size and pattern, so the first one can afford
    zlib level 6: a PNG about half the size of level 1's, less to hash, encode and send."""
    return make_base(_index_canvas(variant, width, height), caption.band_height(width, height), level=6)


def _caption_lines(spec: RenderSpec, width: int, height: int) -> tuple[str, str]:
    edit = ""
    if spec.mode == "image-editing":
        edit = f"  ·  edit of {len(spec.sources)}" if len(spec.sources) > 1 else "  ·  edit"
    # The seed last: the caption draws everything before a line's last word once (``caption.draw_strip``).
    head = f"{caption.printable(spec.model[:60])}  ·  {width}x{height}{edit}  ·  seed {spec.seed}"
    prompt = caption.printable(spec.prompt[:40]).strip() + ("…" if len(spec.prompt) > 40 else "")
    return head, f"“{prompt}”"


def _render_text_to_image(spec: RenderSpec, digest: bytes) -> EncodedImage:
    width, height = spec.width, spec.height
    base = _t2i_base(digest[0] % len(_PATTERNS), width, height)
    layout = caption.layout(width, height, _caption_lines(spec, width, height))
    return encode(base, _palette(digest), layout, spec.output_format)


class Renderer:
    """Renders specs to encoded images, with an LRU cache of results (safe across threads).

    The cache holds at most ``cache_size`` results and ``cache_bytes`` bytes of image data and
    its base64 text (``cache_size=0`` turns it off); its key covers the whole spec, source bytes
    included. Edit bases and validated sources are cached apart (``edits.EditCache``).
    """

    def __init__(
        self, *, cache_size: int = 256, max_source_pixels: int = 40_000_000, cache_bytes: int = 128 * 2**20
    ) -> None:
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        self.max_source_pixels = max_source_pixels
        self._cache: LRU[bytes, RenderedImage] = LRU(cache_size, max_bytes=cache_bytes, cost=_cost)
        self._edits = EditCache()

    def source_pixels(self, data: bytes, *, param: str = "image_file") -> int:
        """The pixels of a source (from its header); ``InvalidImage`` if it is no usable source."""
        return source_pixels(data, max_pixels=self.max_source_pixels, param=param)

    def clear(self) -> None:
        """Forget every cached image, edit base and decoded source (``POST /_mock/reset``)."""
        self._cache.clear()
        self._edits.clear()

    def check_source(self, data: bytes, *, param: str = "image_file") -> None:
        """Raise ``InvalidImage`` unless ``data`` is a usable source; decodes each distinct source once
        (the decoded picture is kept for the render that follows)."""
        limit = self.max_source_pixels
        self._edits.check(data, limit, lambda raw: decode_source(raw, max_pixels=limit, param=param))

    def output_size(self, spec: RenderSpec) -> tuple[int, int]:
        """The size ``render`` gives: the requested one, or for an edit the first source's (scaled down)."""
        if not spec.sources:
            return spec.width, spec.height
        first = self._edits.check(
            spec.sources[0], self.max_source_pixels, lambda raw: decode_source(raw, max_pixels=self.max_source_pixels)
        )
        return output_size_for_edit(*first, spec.downsizing_mp)

    def render(self, spec: RenderSpec) -> RenderedImage:
        if spec.sources:
            digest = _spec_digest(spec, [self._edits.sha256(source) for source in spec.sources])
        else:
            digest = _text_to_image_digest(spec)
        key = digest + spec.output_format.encode()
        return self._cache.get_or_make(key, lambda: self._render(spec, digest))

    def _render(self, spec: RenderSpec, digest: bytes) -> RenderedImage:
        if spec.mode == "text-to-image":
            return _render_text_to_image(spec, digest)
        if not spec.sources:
            raise ValueError("an image-editing spec needs at least one source")
        return self._render_edit(spec, digest)

    def _render_edit(self, spec: RenderSpec, digest: bytes) -> EncodedImage:
        """The sources blended (see ``edits``), tinted by the digest, with the caption."""

        def decode(raw: bytes) -> SourceImage:
            return decode_source(raw, max_pixels=self.max_source_pixels)

        first = self._edits.check(spec.sources[0], self.max_source_pixels, decode)
        size = output_size_for_edit(*first, spec.downsizing_mp)
        base, colors = self._edits.base(spec.sources, size, decode)
        layout = caption.layout(*size, _caption_lines(spec, *size))
        return encode(base, tint(colors, _tint_lut(digest)), layout, spec.output_format)


def _cost(image: RenderedImage) -> int:
    """Bytes a cached image may hold: the data and, once made, its base64 text."""
    return len(image.data) * 7 // 3


__all__ = [
    "EncodedImage",
    "Renderer",
    "SourceImage",
    "base64_of",
    "base64_parts",
    "decode_source",
    "output_size_for_edit",
    "source_pixels",
]
