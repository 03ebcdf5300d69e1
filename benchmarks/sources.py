"""Editing sources for the benchmark, made on the spot (deterministic, nothing downloaded).

A photo-like picture: smooth shapes, fine detail and grain, so that it compresses (and costs to
decode) like a photograph rather than like a flat test card.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops


def photo_like(width: int, height: int, fmt: str = "PNG") -> bytes:
    detail = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 1.0, 1.2), 80)
    ramp = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (detail, ramp, ImageChops.invert(ramp)))
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    buffer = io.BytesIO()
    options = {"quality": 90} if fmt == "JPEG" else {"compress_level": 6}
    Image.blend(picture, grain, 0.15).save(buffer, fmt, **options)
    return buffer.getvalue()
