"""Evidence a person can read: bodies summarised, long strings cut with their length.

A failure line quotes at most ``LIMIT`` characters of anything it got: an image is its format,
size, byte count and hash prefix (not base64), a JSON body has each long string cut to its start
and its length, and any other long text is cut with its length. The full bytes are in the
reproduction (``engine/reproduce.py``), not on the terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..wire.exchange import Received
from ..wire.images import MAGIC, decode, sha256

#: Characters of a body (or of a message quoting one) a failure line shows.
LIMIT = 200
#: A string longer than this inside a JSON body is shown as its start and its length.
_STRING = 48
#: Runs of base64 or hex (image data, hashes of data) long enough to be noise in a message.
_BLOB = re.compile(r"[A-Za-z0-9+/=_-]{96,}")


def clip(text: str, limit: int = LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters and saying how long it was."""
    flat = " ".join(text.split())
    flat = _BLOB.sub(lambda found: f"{found.group()[:16]}…({len(found.group())} chars)", flat)
    if len(flat) <= limit:
        return flat
    tail = f"… ({len(flat)} chars)"
    return flat[: max(0, limit - len(tail))] + tail


def body(received: Received) -> str:
    """The body of a response in at most ``LIMIT`` characters."""
    data = received.body
    if not data:
        return "empty body"
    image = image_summary(data)
    if image is not None:
        return image
    if received.json is not None:
        return clip(json.dumps(_shortened(received.json), ensure_ascii=False))
    try:
        return clip(repr(data.decode("utf-8")))
    except UnicodeDecodeError:
        return f"{len(data):,} bytes of binary data, sha256 {sha256(data)[:12]}"


def image_summary(data: bytes) -> str | None:
    """``PNG 1024x768, 245,311 bytes, sha256 1a2b3c4d5e6f`` for image bytes (``None`` if not an image)."""
    if not any(data.startswith(magic) for magic in MAGIC.values()):
        return None
    decoded = decode(data)
    size = f" {decoded.width}x{decoded.height}" if decoded.width else ""
    problem = f" ({clip(decoded.problem, 80)})" if decoded.problem else ""
    return f"{(decoded.format or '?').upper()}{size}, {len(data):,} bytes, sha256 {sha256(data)[:12]}{problem}"


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _STRING:
        return f"{value[:16]}…({len(value)} chars)"
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value[:8]] + ([f"…({len(value)} items)"] if len(value) > 8 else [])
    return value
