"""The imaging fast paths keep their promises: the same bytes as the slow, obvious way."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mock_server.datatypes import OutputFormat, RenderSpec
from mock_server.errors import InvalidImage
from mock_server.imaging import caption as _caption
from mock_server.imaging import png as _png
from mock_server.imaging.palette_image import _TONES
from mock_server.imaging.renderer import Renderer, base64_of

RENDERER = Renderer(cache_size=8)


def t2i(seed: int, width: int = 512, height: int = 512, fmt: OutputFormat = "png") -> RenderSpec:
    return RenderSpec("eigen-image", "text-to-image", "a fox", seed, width, height, fmt)


def png(width: int, height: int, color: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), width=st.sampled_from([512, 640, 1000]), height=st.sampled_from([512, 513]))
def test_base64_from_known_parts_equals_plain_base64(seed: int, width: int, height: int) -> None:
    image = RENDERER.render(t2i(seed, width, height))
    assert base64_of(image) == base64.b64encode(image.data)
    assert image.base64() == base64.b64encode(image.data).decode()


def test_a_source_is_validated_once_and_still_refused_when_bad() -> None:
    renderer = Renderer(cache_size=0)
    good = png(64, 48)
    renderer.check_source(good)
    renderer.check_source(good)
    edit = RenderSpec("eigen-image", "image-editing", "x", 1, 0, 0, "png", sources=(good,))
    assert (renderer.render(edit).width, renderer.render(edit).height) == (64, 48)
    for _ in range(2):
        with pytest.raises(InvalidImage):
            renderer.check_source(good[:40])
    with pytest.raises(InvalidImage, match="more than the limit"):
        Renderer(cache_size=0, max_source_pixels=100).check_source(good)


def test_edits_of_one_source_share_a_base_but_not_a_picture() -> None:
    renderer = Renderer(cache_size=0)
    source = png(300, 200)
    first, second = (
        renderer.render(RenderSpec("eigen-image", "image-editing", "x", seed, 0, 0, "png", sources=(source,)))
        for seed in (1, 2)
    )
    assert first.data != second.data and (first.width, first.height) == (300, 200)
    assert (
        Renderer(cache_size=0)
        .render(RenderSpec("eigen-image", "image-editing", "x", 1, 0, 0, "png", sources=(source,)))
        .data
        == first.data
    )


def drawn_the_obvious_way(layout: _caption.Layout, row: int, lead: int) -> bytes:
    """A caption line as ``Image`` calls draw it: the head word by word, the last word in pairs."""
    top, bottom = layout.bounds(row)
    x = layout.margin + 1
    baseline = layout.baseline(row) - top
    background, ink = _TONES
    strip = Image.new("L", (layout.width + 1, bottom - top), background)
    head, space, last = layout.lines[row].rpartition(" ")
    _caption._draw_line(strip, head + space, layout.size, x, baseline, ink)
    pen = x + _caption._head_width(head + space, layout.size)
    for start in range(0, len(last), 2):
        pair = _caption._word(last[start : start + 2], layout.size)
        if pair.mask is not None:
            strip.paste(ink, (round(pen) + pair.left, baseline + pair.top), pair.mask)
        pen += pair.advance
    strip.paste(lead, (0, 0, 1, strip.height))
    return strip.tobytes()


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 2600),
    height=st.integers(1, 2600),
    seed=st.integers() | st.text(max_size=12),
    prompt=st.text(max_size=50),
    lead=st.integers(0, 255),
)
def test_caption_lines_from_cached_pieces_are_the_obvious_drawing(
    width: int, height: int, seed: int | str, prompt: str, lead: int
) -> None:
    lines = (_caption.printable(f"eigen-image  ·  {width}x{height}  ·  seed {seed}"), _caption.printable(prompt))
    layout = _caption.layout(width, height, lines)
    for row in range(len(layout.lines) if layout else 0):
        assert layout is not None
        expected = drawn_the_obvious_way(layout, row, lead)
        assert _caption.strip_bytes(_caption.strip_of(layout, row, 1), _TONES, lead=lead) == expected
        drawn = _caption.render_line(layout, row, _TONES, pad_left=1)
        drawn.paste(lead, (0, 0, 1, drawn.height))
        assert drawn.tobytes() == expected


def test_deflated_parts_join_into_one_valid_stream() -> None:
    rows = (b"\x00" + bytes(range(16))) * 3  # three scanlines of a 16-pixel palette image, no filter
    prefix = _png.make_prefix(16, 3, rows[:17])
    parts = [_png.deflate(rows[17:34], final=False), _png.deflate(rows[34:51], final=True)]
    image = Image.open(io.BytesIO(_png.finish(prefix, bytes(768), parts)))
    image.load()
    assert image.size == (16, 3) and image.tobytes() == bytes(range(16)) * 3
