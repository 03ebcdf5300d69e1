"""A user's picture made into a contract-conforming answer: the requested size and format.

A stubbed answer must still be what the contract promises: exactly the requested width and
height (an edit: the source's size, scaled down to ``downsizing_mp``) in the requested format.
A picture that already has both is answered byte for byte as given. Otherwise it is scaled to
cover the requested size, keeping its aspect ratio, and centre-cropped to it (what a thumbnailer
does: nothing is stretched, the middle of the picture is kept), then encoded as PNG, or as JPEG
at quality 90 (transparency flattened onto white). The last few results are kept, so a stub
answered again costs no new encoding. No HTTP here.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageOps

from mock_server.datatypes import OutputFormat, RenderedImage
from mock_server.imaging.renderer import decode_source
from mock_server.lru import LRU

_FORMATS = {"PNG": "png", "JPEG": "jpg"}
KEPT = 32


class StubPictures:
    """Fits pictures (keeping the newest ``KEPT`` results); ``max_pixels`` guards against bombs."""

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._kept: LRU[tuple[str, int, int, str], RenderedImage] = LRU(KEPT)

    def check(self, data: bytes, param: str = "image") -> tuple[int, int]:
        """The picture's size; ``InvalidImage`` unless it is a sound PNG, JPEG or WebP."""
        decoded = decode_source(data, max_pixels=self.max_pixels, param=param)
        return decoded.width, decoded.height

    def fit(self, data: bytes, width: int, height: int, output_format: OutputFormat) -> RenderedImage:
        key = (hashlib.sha256(data).hexdigest(), width, height, output_format)
        return self._kept.get_or_make(key, lambda: self._fit(data, width, height, output_format))

    def _fit(self, data: bytes, width: int, height: int, output_format: OutputFormat) -> RenderedImage:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.size == (width, height) and _FORMATS.get(opened.format or "") == output_format:
                return _image(data, width, height, output_format)
        picture = decode_source(data, max_pixels=self.max_pixels, param="image").image
        if picture.size != (width, height):
            picture = ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if output_format == "png":
            picture.save(out, "PNG", optimize=False)
        else:
            picture.convert("RGB").save(out, "JPEG", quality=90)
        return _image(out.getvalue(), width, height, output_format)


def _image(data: bytes, width: int, height: int, output_format: OutputFormat) -> RenderedImage:
    return RenderedImage(data, width, height, output_format, hashlib.sha256(data).hexdigest())
