"""A bounded cache of small thumbnails of recent images, for the gallery page.

The journal keeps only hashes, so the gallery needs its own copy of what it shows: a JPEG of at
most ``SIZE`` pixels a side per distinct image (keyed by the image's SHA-256), the newest
``count`` of them, each at most ``MAX_BYTES``. So the cache never holds more than
``count * MAX_BYTES`` bytes, whatever the traffic. No HTTP here.
"""

from __future__ import annotations

import base64
import io
import json

from PIL import Image, UnidentifiedImageError

from mock_server.state.store import StateStore

LOG = "thumbnails"
SIZE = 192
MAX_BYTES = 32 * 1024
#: Images with more pixels than this are not thumbnailed (the gallery shows a placeholder).
MAX_SOURCE_PIXELS = 40_000_000


class ThumbnailCache:
    """Parameters: ``store``; ``count``, the thumbnails kept (0 turns the cache off)."""

    def __init__(self, store: StateStore, count: int) -> None:
        self._store = store
        self.count = count

    def add(self, sha256: str, image: bytes) -> bool:
        """Keep a thumbnail of ``image`` (unless one for ``sha256`` is kept already); False if none was made."""
        if self.count <= 0 or self._store.find(LOG, sha256) is not None:
            return self.count > 0
        thumbnail = make_thumbnail(image)
        if thumbnail is None:
            return False
        self._store.append(LOG, sha256, base64.b64encode(thumbnail).decode("ascii"), self.count)
        return True

    def get(self, sha256: str) -> bytes | None:
        text = self._store.find(LOG, sha256)
        return None if text is None else base64.b64decode(text)

    def clear(self) -> None:
        self._store.clear(LOG)

    reset = clear


def make_thumbnail(image: bytes) -> bytes | None:
    """A JPEG of at most ``SIZE`` px a side and ``MAX_BYTES`` bytes, or ``None`` if ``image`` is no image."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.width * opened.height > MAX_SOURCE_PIXELS:
                return None
            opened.draft("RGB", (SIZE, SIZE))  # JPEG decodes at a reduced scale: much faster
            small = _shrunk(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    small.thumbnail((SIZE, SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    for quality in (75, 50, 25):
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    return None


def _shrunk(image: Image.Image) -> Image.Image:
    """Palette images cannot be filtered: cut them to about twice the size first, cheaply (nearest)."""
    factor = max(image.size) // (SIZE * 2)
    if image.mode != "P" or factor < 2:
        return image
    return image.resize((max(image.width // factor, 1), max(image.height // factor, 1)), Image.Resampling.NEAREST)


def image_in_body(content_type: str | None, body: bytes) -> bytes | None:
    """The image an answer carries: the body of an ``image/*`` answer, or a JSON answer's ``image_base64``."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind.startswith("image/"):
        return body
    if kind != "application/json" or not body.startswith(b"{"):
        return None
    try:
        encoded = json.loads(body).get("image_base64")
        return base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
    except (ValueError, AttributeError):
        return None
