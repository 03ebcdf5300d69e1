"""A tiny palette-PNG writer that reuses a precompressed prefix of rows.

A text-to-image canvas is the same for every request of one size and pattern; only the
palette (PLTE) and a band of rows at the bottom (the caption) change. So the rows above the
band are filtered and deflated once (``make_prefix``), the deflate stream is ended at a
full-flush point, and each request only deflates what is its own (``deflate``) and joins the
streams (``finish``): the zlib Adler-32 of the whole is combined from the parts without reading
the prefix again, and the IDAT chunk's CRC-32 is continued from a stored value.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from isal import isal_zlib
from PIL import Image, ImageChops

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ADLER_BASE = 65521
FILTER_NONE = 0
_FILTER_SUB = 1
_FILTER_UP = 2


def chunk(tag: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, tag, data and the CRC-32 of tag and data."""
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(tag)))


IEND = chunk(b"IEND", b"")


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """Adler-32 of A+B from adler32(A), adler32(B) and len(B) (zlib's adler32_combine)."""
    rem = len2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 = (sum1 + (adler2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + (adler1 >> 16) + (adler2 >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | (sum2 << 16)


def _with_filter_bytes(pixels: Image.Image, filter_type: int) -> bytes:
    """The rows of an "L" image, each preceded by the PNG filter-type byte."""
    width, height = pixels.size
    framed = Image.new("L", (width + 1, height), filter_type)
    framed.paste(pixels, (1, 0))
    return framed.tobytes()


def _sub_filtered_rows(indices: Image.Image) -> bytes:
    """PNG scanlines of an 8-bit "L" image with the Sub filter (computed by Pillow, in C)."""
    shifted = ImageChops.offset(indices, 1, 0)
    shifted.paste(0, (0, 0, 1, indices.height))
    return _with_filter_bytes(ImageChops.subtract_modulo(indices, shifted), _FILTER_SUB)


def filtered_rows(indices: Image.Image) -> bytes:
    """PNG scanlines of an 8-bit "L" image: Up where a row repeats the one above (all zeros, which
    deflate to almost nothing), Sub elsewhere: in a picture drawn at half resolution and doubled
    (a text-to-image canvas) every other row costs nothing."""
    width, height = indices.size
    pixels, sub = indices.tobytes(), _sub_filtered_rows(indices)
    repeat = bytes([_FILTER_UP]) + bytes(width)
    rows = []
    for row in range(height):
        above, here = pixels[(row - 1) * width : row * width], pixels[row * width : (row + 1) * width]
        rows.append(repeat if row and here == above else sub[row * (width + 1) : (row + 1) * (width + 1)])
    return b"".join(rows)


@dataclass(frozen=True, slots=True)
class PalettePngPrefix:
    """Everything of an 8-bit palette PNG that does not change between requests."""

    head: bytes  #: signature and IHDR chunk
    zprefix: bytes  #: zlib header and the deflated fixed rows, ended at a full-flush point
    adler: int  #: Adler-32 of the fixed rows' scanline bytes
    idat_crc: int  #: CRC-32 of b"IDAT" + zprefix


def make_prefix(width: int, height: int, raw_rows: bytes, level: int = 6) -> PalettePngPrefix:
    """Deflate the fixed top rows (scanline bytes with filter bytes) of a width x height image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    compressor = zlib.compressobj(level, zlib.DEFLATED, 15)
    zprefix = compressor.compress(raw_rows) + compressor.flush(zlib.Z_FULL_FLUSH)
    return PalettePngPrefix(
        head=SIGNATURE + chunk(b"IHDR", ihdr),
        zprefix=zprefix,
        adler=zlib.adler32(raw_rows),
        idat_crc=zlib.crc32(zprefix, zlib.crc32(b"IDAT")),
    )


@dataclass(frozen=True, slots=True)
class Deflated:
    """Raw deflate blocks of some scanline bytes, ready to be joined after a prefix."""

    data: bytes
    adler: int  #: Adler-32 of the uncompressed bytes
    length: int  #: number of uncompressed bytes


def deflate(raw: bytes, *, final: bool) -> Deflated:
    """Deflate ``raw`` as raw blocks; not ``final`` ends at a full-flush point so that more may follow.

    ISA-L, not zlib: this runs on every request, and ISA-L's level 1 takes a fifth of zlib's level 1
    time for smaller output (a caption strip: 30 µs and 3.9 KB against 150 µs and 4.3 KB)."""
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    flush = isal_zlib.Z_FINISH if final else isal_zlib.Z_FULL_FLUSH
    data = compressor.compress(raw) + compressor.flush(flush)
    return Deflated(data, isal_zlib.adler32(raw), len(raw))


def prefix_offset(palette_len: int) -> int:
    """Where ``PalettePngPrefix.zprefix`` starts in the file ``finish`` writes (for base64 reuse)."""
    return len(SIGNATURE) + 25 + 12 + palette_len + 8  # IHDR chunk, PLTE chunk, IDAT length and tag


def finish(prefix: PalettePngPrefix, palette: bytes, parts: Sequence[Deflated]) -> bytes:
    """The complete PNG: the prefix, this request's palette, and its rows (the last part ``final``)."""
    adler = prefix.adler
    for part in parts:
        adler = adler32_combine(adler, part.adler, part.length)
    trailer = b"".join(part.data for part in parts) + struct.pack(">I", adler)
    crc = zlib.crc32(trailer, prefix.idat_crc)
    idat_len = struct.pack(">I", len(prefix.zprefix) + len(trailer))
    pieces = (prefix.head, chunk(b"PLTE", palette), idat_len, b"IDAT", prefix.zprefix, trailer)
    return b"".join((*pieces, struct.pack(">I", crc), IEND))
