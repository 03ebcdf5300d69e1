"""The caption band drawn at the bottom of every image, with Pillow's bundled font only.

Glyphs are rasterised once per (character, size) and pasted from a cache: that is several
times faster than ``ImageDraw.text`` for every request. The bundled font (a subset of
Aileron) draws ASCII and a few more characters; ``printable`` folds or replaces the rest.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

MIN_FONT = 8
_DRAWABLE = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("©«°±´·»‘’“”…‹›")
_FONT_LOCK = threading.Lock()  # a FreeType face is not safe to use from two threads at once


def printable(text: str) -> str:
    """``text`` with what the font cannot draw folded (accents dropped) or replaced by "?"."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch in _DRAWABLE:
            out.append(ch)
        elif ch.isspace() or unicodedata.category(ch).startswith("C"):
            out.append(" ")
        elif not unicodedata.combining(ch):
            out.append("?")
    return "".join(out)


def font_px(width: int, height: int) -> int:
    """The caption's font size for an image: it scales with the width, within a 1/16 of the height."""
    return max(MIN_FONT, min(width // 28, height // 16))


def band_height(width: int, height: int) -> int:
    """Rows of the two-line caption band, or 0 when the image is too small to carry one."""
    px = font_px(width, height)
    band = round(px * 2.9)
    return band if band <= height // 2 and width >= 4 * px else 0


@lru_cache(maxsize=64)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=px)


@dataclass(frozen=True, slots=True)
class _Glyph:
    mask: Image.Image | None  #: "L" coverage, None for blank glyphs such as a space
    left: int  #: offset of the mask from the pen position
    top: int  #: offset of the mask from the baseline (negative: above it)
    advance: float


@lru_cache(maxsize=4096)
def _glyph(ch: str, px: int) -> _Glyph:
    font = _font(px)
    with _FONT_LOCK:
        left, top, right, bottom = (int(v) for v in font.getbbox(ch, anchor="ls"))
        advance = float(font.getlength(ch))
        if right <= left or bottom <= top:
            return _Glyph(None, 0, 0, advance)
        mask = Image.new("L", (right - left, bottom - top), 0)
        ImageDraw.Draw(mask).text((-left, -top), ch, font=font, fill=255, anchor="ls")
    return _Glyph(mask, left, top, advance)


def _width(line: str, px: int) -> float:
    return sum(_glyph(ch, px).advance for ch in line)


def _truncate(line: str, px: int, avail: int) -> str:
    if _width(line, px) <= avail:
        return line
    while line and _width(line + "…", px) > avail:
        line = line[:-1]
    return line + "…"


def _fit(lines: Sequence[str], px: int, avail: int) -> tuple[int, list[str]]:
    """The font size (``px``, or smaller down to ``MIN_FONT``) and the lines (truncated) that fit."""
    widest = max(_width(line, px) for line in lines)
    size = px if widest <= avail else max(MIN_FONT, int(px * avail / widest))
    return size, [_truncate(line, size, avail) for line in lines]


@lru_cache(maxsize=64)
def _ascent(px: int) -> int:
    font = _font(px)
    with _FONT_LOCK:
        metrics = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (px, 0)
    return int(metrics[0])


def _draw_line(band: Image.Image, line: str, px: int, x: float, baseline: int) -> None:
    for ch in line:
        glyph = _glyph(ch, px)
        if glyph.mask is not None:
            band.paste(255, (round(x) + glyph.left, baseline + glyph.top), glyph.mask)
        x += glyph.advance


def render_caption(width: int, height: int, lines: Sequence[str]) -> Image.Image | None:
    """The band as an "L" image (0 background, 255 ink) ``width`` wide, or None if there is no room.

    Every line must already be ``printable``.
    """
    band_h = band_height(width, height)
    if not band_h:
        return None
    px = font_px(width, height)
    margin = max(2, px // 2)
    size, fitted = _fit(lines, px, width - 2 * margin)
    band = Image.new("L", (width, band_h), 0)
    for row, line in enumerate(fitted):
        _draw_line(band, line, size, margin, round(px * (0.3 + 1.3 * row)) + _ascent(size))
    return band
