"""The shape every output shares: a base of palette indices, a palette, and the caption's rows.

A ``Base`` holds what many requests share: the palette indices of the whole picture and its
rows above the caption band, filtered and deflated once. A request brings a palette and a
caption; ``encode`` joins them (PNG: precompressed parts, see ``_png``; JPEG: the picture
converted and encoded in full). The caption's last line (the prompt's) repeats across seeds,
so its deflated rows are cached; only the first line, which shows the seed, is deflated anew.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image

from mock_server.datatypes import OutputFormat, RenderedImage
from mock_server.imaging import caption as _caption
from mock_server.imaging import png as _png

COLORS = 240  #: palette entries of the picture; the 16 after them are the caption's grey ramp
_BAND_BG, _BAND_INK = (14, 14, 18), (255, 255, 255)
RAMP16 = bytes(min(255, round(a + (b - a) * k / 15)) for k in range(16)
               for a, b in zip(_BAND_BG, _BAND_INK, strict=True))  # fmt: skip
#: The caption is drawn in palette indices: background COLORS, ink COLORS + 15, the ramp between.
_TONES: _caption.Tones = (COLORS, COLORS + 15)
_PALETTE_BYTES = 3 * (COLORS + 16)


@dataclass(frozen=True, slots=True)
class Base:
    indices: Image.Image  #: "L", the palette index of every pixel (the caption band included)
    prefix: _png.PalettePngPrefix  #: the rows above the band, deflated
    #: (offset, text): base64 of the file's bytes at ``offset`` (a multiple of 3), which are the
    #: same in every PNG made from this base, so ``base64_of`` need not encode them again.
    known_base64: tuple[int, bytes]
    band_height: int

    @property
    def nbytes(self) -> int:
        return self.indices.width * self.indices.height + len(self.prefix.zprefix) + len(self.known_base64[1])


def make_base(indices: Image.Image, band_height: int, *, level: int) -> Base:
    """A base for an "L" picture of palette indices whose bottom ``band_height`` rows the caption covers.

    ``level`` is zlib's: a base made once and sent many times is worth compressing harder."""
    width, height = indices.size
    rows = indices.crop((0, 0, width, height - band_height))
    prefix = _png.make_prefix(width, height, _png.filtered_rows(rows), level=level)
    start = _png.prefix_offset(_PALETTE_BYTES)
    skip = -start % 3  # the first byte of the prefix at an offset that is a multiple of 3
    usable = (len(prefix.zprefix) - skip) // 3 * 3
    known = base64.b64encode(prefix.zprefix[skip : skip + usable])
    return Base(indices, prefix, (start + skip, known), band_height)


@dataclass(frozen=True, slots=True)
class EncodedImage(RenderedImage):
    """A rendered image that makes its base64 text once (a cached image is sent many times)."""

    known_base64: tuple[int, bytes] | None = field(default=None, repr=False, compare=False)
    _base64: list[tuple[bytes, ...]] = field(default_factory=list, repr=False, compare=False)

    def base64(self) -> str:
        return base64_of(self).decode("ascii")


def base64_of(image: RenderedImage) -> bytes:
    """The base64 text of ``image.data``, reusing what is already known of it."""
    return b"".join(base64_parts(image))


def base64_parts(image: RenderedImage) -> tuple[bytes, ...]:
    """The base64 text of ``image.data`` in pieces to be joined, made once per image.

    For a PNG made from a ``Base`` the middle piece is the base's own text (shared by every image
    of that base, never copied): a caller that splices the text into a larger body (``json_body``)
    copies it once, into the body."""
    if not isinstance(image, EncodedImage):
        return (base64.b64encode(image.data),)
    if not image._base64:
        data, known = image.data, image.known_base64
        if known is None:
            parts: tuple[bytes, ...] = (base64.b64encode(data),)
        else:
            start, middle = known
            end = start + len(middle) // 4 * 3
            parts = (base64.b64encode(data[:start]), middle, base64.b64encode(data[end:]))
        image._base64.append(parts)  # a race only makes the same text twice
    return image._base64[0]


@lru_cache(maxsize=64)
def _still_rows(strip: _caption.Strip) -> _png.Deflated:
    """A line's rows deflated once: the last line (the prompt's) is the same for every seed."""
    return _png.deflate(_caption.strip_bytes(strip, _TONES, lead=_png.FILTER_NONE), final=True)


def _band_parts(layout: _caption.Layout) -> list[_png.Deflated]:
    """The caption's rows, deflated: every line but the last drawn anew (the seed's), the last kept.
    Each line is drawn one column wider, that column becoming the rows' filter bytes."""
    strips = [_caption.strip_of(layout, row, 1) for row in range(len(layout.lines))]
    parts = [_png.deflate(_caption.strip_bytes(strip, _TONES, lead=_png.FILTER_NONE), final=False)
             for strip in strips[:-1]]  # fmt: skip
    parts.append(_still_rows(strips[-1]))
    return parts


def _band(layout: _caption.Layout) -> Image.Image:
    """The caption as a picture (JPEG output), its glyphs where the PNG's are: drawn the same way,
    with the PNG's extra first column left out."""
    band = Image.new("L", (layout.width, layout.band_height), COLORS)
    for row in range(len(layout.lines)):
        band.paste(_caption.render_line(layout, row, _TONES, pad_left=1), (-1, layout.bounds(row)[0]))
    return band


def encode(base: Base, colors: bytes, layout: _caption.Layout | None, output_format: OutputFormat) -> EncodedImage:
    """The picture ``base`` coloured by ``colors`` (``COLORS`` RGB entries) with its caption."""
    palette = colors + RAMP16
    width, height = base.indices.size
    if output_format == "png":
        parts = [_png.deflate(b"", final=True)] if layout is None else _band_parts(layout)
        data = _png.finish(base.prefix, palette, parts)
        return EncodedImage(data, width, height, "png", hashlib.sha256(data).hexdigest(), base.known_base64)
    canvas = base.indices.copy()
    if layout is not None:
        canvas.paste(_band(layout), (0, height - layout.band_height))
    canvas.putpalette(palette)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return EncodedImage(data, width, height, "jpg", hashlib.sha256(data).hexdigest())
