"""Source images the suite uploads, and decoding of the images the target returns.

Sources are synthesised with Pillow (nothing is read from disk), deterministic per
``(size, variant, format)``, and visibly different between variants, so "the edit depends on
its source" can be tested with two sources of the same size.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw

#: Output formats of the contract and the magic bytes that open such a file.
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
_PIL_FORMATS = {"PNG": "png", "JPEG": "jpg"}
_SOURCE_FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp")}


@dataclass(frozen=True, slots=True)
class SourceImage:
    """An editing source: encoded bytes and what they decode to."""

    data: bytes = field(repr=False)  # a failing example's repr would otherwise carry every byte
    width: int
    height: int
    format: str  # png, jpeg or webp

    @property
    def media_type(self) -> str:
        return _SOURCE_FORMATS[self.format][1]

    @property
    def filename(self) -> str:
        return f"source-{self.width}x{self.height}.{self.format}"

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64()}"


@lru_cache(maxsize=64)
def source_image(width: int = 96, height: int = 64, variant: int = 0, fmt: str = "png") -> SourceImage:
    """A deterministic test picture: a gradient, with shapes and colours that depend on ``variant``."""
    hue = hashlib.sha256(f"eigen-contract-{variant}".encode()).digest()
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for index in range(4):
        r, g, b = hue[index * 3 : index * 3 + 3]
        left, top = (hue[12 + index] * width) // 512, (hue[16 + index] * height) // 512
        draw.rectangle((left, top, left + width // 2, top + height // 2), fill=(r, g, b))
    out = io.BytesIO()
    pil_format = _SOURCE_FORMATS[fmt][0]
    image.save(out, format=pil_format, **({"quality": 90} if pil_format != "PNG" else {}))
    return SourceImage(out.getvalue(), width, height, fmt)


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """What a returned image turned out to be; ``problem`` says why it is not a sound image."""

    format: str | None  # png or jpg by magic bytes, None if neither
    width: int = 0
    height: int = 0
    problem: str | None = None


def decode(data: bytes) -> DecodedImage:
    """Identify ``data`` by its magic bytes and decode it fully with Pillow."""
    fmt = next((name for name, magic in MAGIC.items() if data.startswith(magic)), None)
    if not data:
        return DecodedImage(fmt, problem="the image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every pixel: truncated or corrupt data fails here
                size, pil_format = image.size, _PIL_FORMATS.get(image.format or "")
    except Exception as exc:
        return DecodedImage(fmt, problem=f"Pillow cannot decode it ({type(exc).__name__}: {str(exc)[:120]})")
    if fmt is None or pil_format != fmt:
        shown = pil_format or "a format that is neither PNG nor JPEG"
        return DecodedImage(
            fmt, *size, problem=f"its magic bytes say {fmt or 'neither PNG nor JPEG'}, Pillow reads {shown}"
        )
    return DecodedImage(fmt, *size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def difference(first: bytes, second: bytes) -> float:
    """How different two images look: mean absolute difference (0..255) of 64x64 RGB thumbnails."""
    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        small_a = a.convert("RGB").resize((64, 64))
        small_b = b.convert("RGB").resize((64, 64))
    pairs = zip(small_a.tobytes(), small_b.tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (64 * 64 * 3)


#: A decompression bomb's declared size: 900 megapixels, far above any server's bound.
BOMB_SIDE = 30_000


@lru_cache(maxsize=1)
def decompression_bomb() -> SourceImage:
    """A valid 1-bit PNG of BOMB_SIDE x BOMB_SIDE black pixels: about 100 KB that decode to 900 megapixels.

    Written by hand (Pillow would have to hold the whole image): the rows are zeros, compressed in
    chunks so the suite never holds the 112 MB of raw scanlines either.
    """
    row = b"\x00" * (1 + (BOMB_SIDE + 7) // 8)
    squeeze = zlib.compressobj(9)
    chunks = [squeeze.compress(row * 1000) for _ in range(BOMB_SIDE // 1000)]
    data = b"".join(chunks) + squeeze.flush()
    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 1, 0, 0, 0, 0)
    png = MAGIC["png"] + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
    return SourceImage(png, BOMB_SIDE, BOMB_SIDE, "png")


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
