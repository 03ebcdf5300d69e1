"""Edit bases: an edit's sources blended and quantised to a palette picture, once per source set.

An edit's look is its sources blended (equal weights, each fitted to the first's scaled size),
quantised to ``COLORS`` colours, then tinted by the seed. Tinting is a per-channel lookup
table, so it is exact to apply it to the palette rather than to every pixel: the expensive part
(decoding, blending, quantising, deflating) depends on the sources and the size only, and is
kept in ``EditCache`` for the next request with the same sources, which then costs as little as
a text-to-image one. ``EditCache`` also remembers which source bytes were already validated
(and their size), so a source is decoded once, not once to validate and again to render.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Protocol

from PIL import Image, ImageOps

from mock_server.imaging import caption as _caption
from mock_server.imaging.palette_image import COLORS, Base, make_base


class DecodedSource(Protocol):
    """A decoded source image (RGB) and its size (``imaging.SourceImage`` is one)."""

    @property
    def image(self) -> Image.Image: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


Decoder = Callable[[bytes], DecodedSource]


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    return image if image.size == size else image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def blend(images: Sequence[Image.Image], size: tuple[int, int]) -> Image.Image:
    merged = _resized(images[0], size)
    for count, image in enumerate(images[1:], start=2):
        merged = Image.blend(merged, ImageOps.fit(image, size, Image.Resampling.BILINEAR), 1 / count)
    return merged


def make_edit_base(images: Sequence[Image.Image], size: tuple[int, int]) -> tuple[Base, bytes]:
    """The base of an edit of ``images`` at ``size``, and its untinted palette (``COLORS`` entries)."""
    merged = blend(images, size)
    # Fast octree: deterministic for a given Pillow, and several times faster than median cut.
    quantised = merged.quantize(COLORS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = bytes(quantised.getpalette() or [])[: 3 * COLORS]
    palette += bytes(3 * COLORS - len(palette))
    indices = Image.frombytes("L", size, quantised.tobytes())
    # Level 1: an edit base is made for each new source, and its first answer should not wait on zlib.
    return make_base(indices, _caption.band_height(*size), level=1), palette


def tint(palette: bytes, lut: Sequence[int]) -> bytes:
    """``palette`` through a 768-entry per-channel lookup table (as ``Image.point`` would)."""
    out = bytearray(len(palette))
    for channel in range(3):
        out[channel::3] = palette[channel::3].translate(bytes(lut[256 * channel : 256 * (channel + 1)]))
    return bytes(out)


class EditCache:
    """Thread-safe, bounded caches of what edits share across requests.

    Parameters: ``bases`` and ``base_bytes`` bound the edit bases kept; ``decoded`` bounds the
    decoded sources kept between validating a source and rendering it.
    """

    def __init__(self, *, bases: int = 16, base_bytes: int = 128 * 2**20, decoded: int = 4) -> None:
        self._bases: OrderedDict[tuple[tuple[str, ...], tuple[int, int]], tuple[Base, bytes]] = OrderedDict()
        self._base_bytes, self._max_bases, self._max_base_bytes = 0, bases, base_bytes
        self._decoded: OrderedDict[str, DecodedSource] = OrderedDict()
        self._max_decoded = decoded
        self._sizes: OrderedDict[tuple[str, int], tuple[int, int]] = OrderedDict()
        self._hashes: deque[tuple[bytes, str]] = deque(maxlen=16)
        self._lock = threading.Lock()

    def sha256(self, data: bytes) -> str:
        """The hex SHA-256 of ``data``, computed once per bytes object (validation and rendering
        of one request both need it; the identity check makes a stale answer impossible)."""
        with self._lock:
            for seen, digest in self._hashes:
                if seen is data:
                    return digest
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._hashes.append((data, digest))
        return digest

    def check(self, data: bytes, max_pixels: int, decode: Decoder) -> tuple[int, int]:
        """The size of a valid source, decoding it (``decode`` raises if it is not one) only if
        these bytes were not validated against this limit before."""
        key = (self.sha256(data), max_pixels)
        with self._lock:
            size = self._sizes.get(key)
            if size is not None:
                self._sizes.move_to_end(key)
                return size
        decoded = decode(data)
        with self._lock:
            self._sizes[key] = (decoded.width, decoded.height)
            while len(self._sizes) > 4096:
                self._sizes.popitem(last=False)
            self._decoded[key[0]] = decoded
            while len(self._decoded) > self._max_decoded:
                self._decoded.popitem(last=False)
        return decoded.width, decoded.height

    def decoded(self, data: bytes, decode: Decoder) -> DecodedSource:
        digest = self.sha256(data)
        with self._lock:
            found = self._decoded.get(digest)
        return found if found is not None else decode(data)

    def base(self, sources: Sequence[bytes], size: tuple[int, int], decode: Decoder) -> tuple[Base, bytes]:
        key = (tuple(self.sha256(s) for s in sources), size)
        with self._lock:
            found = self._bases.get(key)
            if found is not None:
                self._bases.move_to_end(key)
                return found
        made = make_edit_base([self.decoded(s, decode).image for s in sources], size)
        with self._lock:
            if key not in self._bases and made[0].nbytes <= self._max_base_bytes:
                self._bases[key] = made
                self._base_bytes += made[0].nbytes
            while len(self._bases) > self._max_bases or self._base_bytes > self._max_base_bytes:
                self._base_bytes -= self._bases.popitem(last=False)[1][0].nbytes
        return made
