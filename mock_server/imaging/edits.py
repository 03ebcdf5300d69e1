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
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from PIL import Image, ImageOps

from mock_server.imaging import caption
from mock_server.imaging.palette_image import COLORS, Base, make_base
from mock_server.lru import LRU


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
    return make_base(indices, caption.band_height(*size), level=1), palette


def _decoded_bytes(source: DecodedSource) -> int:
    return source.width * source.height * len(source.image.getbands())


def tint(palette: bytes, lut: Sequence[int]) -> bytes:
    """``palette`` through a 768-entry per-channel lookup table (as ``Image.point`` would)."""
    out = bytearray(len(palette))
    for channel in range(3):
        out[channel::3] = palette[channel::3].translate(bytes(lut[256 * channel : 256 * (channel + 1)]))
    return bytes(out)


class EditCache:
    """Thread-safe, bounded caches of what edits share across requests.

    Parameters: ``bases`` and ``base_bytes`` bound the edit bases kept; ``decoded`` and
    ``decoded_bytes`` the decoded sources kept between validating a source and rendering it (one
    40 MP source is 120 MB: it is kept only alone); ``hashed_bytes`` the source bytes whose hash
    is remembered (each entry holds its bytes, up to the body limit).
    """

    def __init__(
        self,
        *,
        bases: int = 16,
        base_bytes: int = 64 * 2**20,
        decoded: int = 9,
        decoded_bytes: int = 128 * 2**20,
        hashed_bytes: int = 32 * 2**20,
    ) -> None:
        self._bases: LRU[tuple[tuple[str, ...], tuple[int, int]], tuple[Base, bytes]] = LRU(
            bases, max_bytes=base_bytes, cost=lambda made: made[0].nbytes
        )
        self._decoded: LRU[str, DecodedSource] = LRU(decoded, max_bytes=decoded_bytes, cost=_decoded_bytes)
        self._sizes: LRU[tuple[str, int], tuple[int, int]] = LRU(4096)
        # Not the LRU: found by identity, since looking bytes up by value would hash them all again.
        self._hashes: deque[tuple[bytes, str]] = deque(maxlen=16)
        self._max_hashed_bytes = hashed_bytes
        self._lock = threading.Lock()

    def clear(self) -> None:
        self._bases.clear()
        self._decoded.clear()
        self._sizes.clear()
        with self._lock:
            self._hashes.clear()

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
            while sum(len(seen) for seen, _ in self._hashes) > self._max_hashed_bytes:
                self._hashes.popleft()
        return digest

    def check(self, data: bytes, max_pixels: int, decode: Decoder) -> tuple[int, int]:
        """The size of a valid source, decoding it (``decode`` raises if it is not one) only if
        these bytes were not validated against this limit before."""
        key = (self.sha256(data), max_pixels)
        size = self._sizes.get(key)
        if size is not None:
            return size
        decoded = decode(data)
        self._sizes.put(key, (decoded.width, decoded.height))
        self._decoded.put(key[0], decoded)
        return decoded.width, decoded.height

    def decoded(self, data: bytes, decode: Decoder) -> DecodedSource:
        digest = self.sha256(data)
        found = self._decoded.get(digest)
        return found if found is not None else decode(data)

    def base(self, sources: Sequence[bytes], size: tuple[int, int], decode: Decoder) -> tuple[Base, bytes]:
        key = (tuple(self.sha256(s) for s in sources), size)
        return self._bases.get_or_make(
            key, lambda: make_edit_base([self.decoded(s, decode).image for s in sources], size)
        )
