"""The caption band drawn at the bottom of every image, with Pillow's bundled font only.

Glyphs are rasterised once per (character, size), and words composed from them once per
(word, size); a line is a paste per word from those caches, many times faster than
``ImageDraw.text`` for every request. Each line owns a horizontal slice of the band (``Layout``),
so the slice of a line that repeats (the prompt's) can be reused by the caller. The bundled font (a subset of
Aileron) draws ASCII and a few more characters; ``printable`` folds or replaces the rest.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, _imaging

MIN_FONT = 8
_DRAWABLE = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("©«°±´·»‘’“”…‹›")
_FONT_LOCK = threading.Lock()  # a FreeType face is not safe to use from two threads at once


@lru_cache(maxsize=256)
def printable(text: str) -> str:
    """``text`` with what the font cannot draw folded (accents dropped) or replaced by "?".

    Kept per text: callers pass a model name and the start of a prompt, which recur."""
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


@lru_cache(maxsize=256)
def _width(line: str, px: int) -> float:
    """Kept per line: a caption's last line (the prompt's) recurs."""
    head, space, last = line.rpartition(" ")
    return _head_width(head + space, px) + _glyphs_width(last, px)


@lru_cache(maxsize=1024)
def _head_width(text: str, px: int) -> float:
    """Everything before a line's last word is measured once (see ``draw_strip``)."""
    return _glyphs_width(text, px)


def _glyphs_width(text: str, px: int) -> float:
    return sum(_glyph(ch, px).advance for ch in text)


def _truncate(line: str, px: int, avail: int) -> str:
    if _width(line, px) <= avail:
        return line
    while line and _width(line + "…", px) > avail:
        line = line[:-1]
    return line + "…"


def _fit(lines: Sequence[str], px: int, avail: int) -> tuple[int, list[str]]:
    """The font size (``px``, or smaller down to ``MIN_FONT``) and the lines (truncated) that fit."""
    widest = max(_width(line, px) for line in lines)
    if widest <= avail:
        return px, list(lines)  # the common case: everything fits, nothing to measure again
    size = max(MIN_FONT, int(px * avail / widest))
    return size, [_truncate(line, size, avail) for line in lines]


@lru_cache(maxsize=64)
def _ascent(px: int) -> int:
    font = _font(px)
    with _FONT_LOCK:
        metrics = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (px, 0)
    return int(metrics[0])


@dataclass(frozen=True, slots=True)
class _Word:
    mask: Image.Image | None  #: the word's glyphs composed once; None for a word with no ink
    left: int  #: offset of the mask from the pen position
    top: int  #: offset of the mask from the baseline
    advance: float


@lru_cache(maxsize=2048)
def _word(word: str, px: int) -> _Word:
    """A word drawn once and pasted as one mask: a line costs a paste per word, not per glyph.

    A new seed is a new word each request; the LRU keeps the words every request uses."""
    placed, x = [], 0.0
    for ch in word:
        glyph = _glyph(ch, px)
        if glyph.mask is not None:
            placed.append((glyph.mask, round(x) + glyph.left, glyph.top))
        x += glyph.advance
    if not placed:
        return _Word(None, 0, 0, x)
    left, top = min(p[1] for p in placed), min(p[2] for p in placed)
    right, bottom = max(p[1] + p[0].width for p in placed), max(p[2] + p[0].height for p in placed)
    mask = Image.new("L", (right - left, bottom - top), 0)
    for glyph_mask, gx, gy in placed:
        mask.paste(255, (gx - left, gy - top), glyph_mask)
    return _Word(mask, left, top, x)


def _draw_line(band: Image.Image, line: str, px: int, x: float, baseline: int, ink: int) -> None:
    space = _glyph(" ", px).advance
    for index, word in enumerate(line.split(" ")):
        if index:
            x += space
        drawn = _word(word, px)
        if drawn.mask is not None:
            band.paste(ink, (round(x) + drawn.left, baseline + drawn.top), drawn.mask)
        x += drawn.advance


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the caption's lines go: line ``k`` is drawn into rows ``bounds[k]`` of the band only,
    so each line's rows depend on that line alone (and the prompt's rows can be reused)."""

    width: int
    band_height: int
    px: int  #: the nominal font size (it sets the line spacing)
    size: int  #: the font size used, smaller than ``px`` when a line would not fit
    margin: int
    lines: tuple[str, ...]

    def bounds(self, row: int) -> tuple[int, int]:
        splits = _splits(self.px, len(self.lines), self.band_height)
        return splits[row], splits[row + 1]

    def baseline(self, row: int) -> int:
        return round(self.px * (0.3 + 1.3 * row)) + _ascent(self.size)


@lru_cache(maxsize=64)
def _splits(px: int, lines: int, band_h: int) -> tuple[int, ...]:
    # Half-way between a line's descenders and the next line's capitals.
    return 0, *(round(px * (1.53 + 1.3 * k)) for k in range(lines - 1)), band_h


def layout(width: int, height: int, lines: Sequence[str]) -> Layout | None:
    """The caption's layout for an image of this size, or None if there is no room for one.

    Every line must already be ``printable``."""
    geometry = _geometry(width, height)
    if geometry is None:
        return None
    band_h, px, margin = geometry
    size, fitted = _fit(lines, px, width - 2 * margin)
    return Layout(width, band_h, px, size, margin, tuple(fitted))


@lru_cache(maxsize=64)
def _geometry(width: int, height: int) -> tuple[int, int, int] | None:
    """The band's height, the font size and the margin of an image's caption (None: no caption)."""
    band_h = band_height(width, height)
    px = font_px(width, height)
    return (band_h, px, max(2, px // 2)) if band_h else None


#: (background, ink) of an "L" strip; a glyph's edge pixels get the values in between.
Tones = tuple[int, int]
COVERAGE: Tones = (0, 255)


def render_line(spec: Layout, row: int, tones: Tones = COVERAGE, *, pad_left: int = 0) -> Image.Image:
    """Rows ``spec.bounds(row)`` of the band as an "L" image, line ``row`` drawn, with ``pad_left``
    more columns of background before it (a PNG writer puts its filter bytes there)."""
    return draw_strip(*strip_of(spec, row, pad_left), tones)


#: ``draw_strip``'s first arguments: width, height, line, size, x and baseline.
Strip = tuple[int, int, str, int, int, int]


def strip_of(spec: Layout, row: int, pad_left: int) -> Strip:
    """Where line ``row`` of ``spec`` is drawn, with ``pad_left`` more columns before it."""
    top, bottom = spec.bounds(row)
    return (spec.width + pad_left, bottom - top, spec.lines[row], spec.size, spec.margin + pad_left,
            spec.baseline(row) - top)  # fmt: skip


def strip_bytes(strip: Strip, tones: Tones, *, lead: int) -> bytes:
    """The bytes of ``draw_strip(*strip, tones)`` with its first column set to ``lead`` (a PNG
    writer's filter byte, in a strip drawn one column wider).

    Every new seed draws a line: done on Pillow's core image, round the ``Image`` wrapper's checks
    of each copy, paste and ``tobytes``, a 1024² caption's seed line takes 18 µs instead of 35 µs."""
    width, height = strip[:2]
    drawn = _drawn(*strip, tones)
    drawn.paste(lead, (0, 0, 1, height))
    return _raw_bytes(drawn, width, height)


def draw_strip(
    width: int, height: int, line: str, size: int, x: int, baseline: int, tones: Tones = COVERAGE
) -> Image.Image:
    """One line on its own ``width`` x ``height`` strip: a pure function of exactly these arguments.

    Drawn straight in the caller's tones (say, palette indices): no per-pixel mapping afterwards.
    Everything before the line's last word is drawn once and copied: callers put what changes from
    request to request (the seed) last, so a new seed costs a copy and a few glyphs."""
    return Image.frombytes("L", (width, height), _raw_bytes(_drawn(width, height, line, size, x, baseline, tones),
                                                            width, height))  # fmt: skip


def _drawn(width: int, height: int, line: str, size: int, x: int, baseline: int,
           tones: Tones) -> _imaging.ImagingCore:  # fmt: skip
    head, space, last = line.rpartition(" ")
    strip: _imaging.ImagingCore = _head_strip(width, height, head + space, size, x, baseline, tones).im.copy()
    _draw_glyphs(strip, last, size, x + _head_width(head + space, size), baseline, tones[1])
    return strip


@lru_cache(maxsize=32)
def _head_strip(width: int, height: int, head: str, size: int, x: int, baseline: int, tones: Tones) -> Image.Image:
    strip = Image.new("L", (width, height), tones[0])
    _draw_line(strip, head, size, x, baseline, tones[1])
    return strip


def _draw_glyphs(band: _imaging.ImagingCore, text: str, px: int, x: float, baseline: int, ink: int) -> None:
    """``text`` two characters at a time: a word drawn once (a seed) is not worth composing and
    caching whole, but its pairs ("42", "96"…) are few and recur, so it costs half the pastes.

    On Pillow's core image, as ``Image.paste`` would (it checks and converts, then calls this)."""
    for start in range(0, len(text), 2):
        drawn = _word(text[start : start + 2], px)
        if drawn.mask is not None:
            left, top = round(x) + drawn.left, baseline + drawn.top
            band.paste(ink, (left, top, left + drawn.mask.width, top + drawn.mask.height), drawn.mask.im)
        x += drawn.advance


def _raw_bytes(image: _imaging.ImagingCore, width: int, height: int) -> bytes:
    """``Image.tobytes()`` of an "L" core image, in one encoder call (room for every row)."""
    if not width or not height:
        return b""
    encoder = _imaging.raw_encoder("L", "L")
    encoder.setimage(image, (0, 0, width, height))
    _, status, data = encoder.encode(width * height)
    if status != 1:
        raise RuntimeError(f"raw encoder status {status}")
    return data  # type: ignore[no-any-return]
