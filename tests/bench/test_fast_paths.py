"""The speed-ups keep their promises: same bytes as the slow, obvious way of doing the same thing."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mock_server.datatypes import OutputFormat, RenderSpec
from mock_server.errors import InvalidImage, InvalidJson
from mock_server.generation.generator import Generation
from mock_server.http.parsing import parse_json
from mock_server.http.responses import json_body
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


class _Plan:
    def __init__(self, model_id: str, response_field: str, s3: str | None) -> None:
        self.model_id, self.mode, self.response_field, self.binary_response = model_id, "text-to-image", \
            response_field, False  # fmt: skip
        self.s3_output = s3


#: Extra fields are the model's own (``use_lightning``), never one of the fields every response has.
extra_names = st.text().filter(lambda name: name not in {"request_id", "model", "mode", "seed", "width", "height",
                                                         "output_format", "image_base64", "turbo_image_base64",
                                                         "image_sha256", "s3_output_path", "created",
                                                         "processing_time_seconds"})
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()


@settings(max_examples=60, deadline=None)
@given(model_id=st.text(), field=st.sampled_from(["image_base64", "turbo_image_base64"]),
       s3=st.none() | st.text(), extra=st.dictionaries(extra_names, json_scalars | st.lists(json_scalars), max_size=3),
       seed=st.integers(0, 2**32 - 1), seconds=st.floats(0, 1e6), created=st.integers(0, 2**40))
def test_json_body_is_the_json_of_to_json(model_id: str, field: str, s3: str | None, extra: dict[str, Any],
                                          seed: int, seconds: float, created: int) -> None:
    image = RENDERER.render(t2i(7))
    plan = _Plan(model_id, field, s3)
    generation = Generation("gen_" + "0" * 32, plan, seed, image, seconds, created, extra)  # type: ignore[arg-type]
    expected = json.dumps(generation.to_json(), separators=(",", ":")).encode()
    assert json_body(generation) == expected
    assert json_body(generation) == expected  # a second time from what the first one kept
    again = generation.again("gen_" + "9" * 32, created + 1)  # a repeated request: what was kept, a new id and time
    assert json_body(again) == json.dumps(again.to_json(), separators=(",", ":")).encode()


def test_a_source_is_validated_once_and_still_refused_when_bad() -> None:
    renderer, good = Renderer(cache_size=0), png(64, 48)
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
    renderer, source = Renderer(cache_size=0), png(300, 200)
    first, second = (renderer.render(RenderSpec("eigen-image", "image-editing", "x", seed, 0, 0, "png",
                                                sources=(source,))) for seed in (1, 2))  # fmt: skip
    assert first.data != second.data and (first.width, first.height) == (300, 200)
    assert Renderer(cache_size=0).render(RenderSpec("eigen-image", "image-editing", "x", 1, 0, 0, "png",
                                                    sources=(source,))).data == first.data  # fmt: skip


def drawn_the_obvious_way(layout: _caption.Layout, row: int, lead: int) -> bytes:
    """A caption line as ``Image`` calls draw it: the head word by word, the last word in pairs."""
    top, bottom = layout.bounds(row)
    x, baseline, (background, ink) = layout.margin + 1, layout.baseline(row) - top, _TONES
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
@given(width=st.integers(1, 2600), height=st.integers(1, 2600), seed=st.integers() | st.text(max_size=12),
       prompt=st.text(max_size=50), lead=st.integers(0, 255))  # fmt: skip
def test_caption_lines_on_the_core_image_are_the_obvious_drawing(width: int, height: int, seed: int | str,
                                                                 prompt: str, lead: int) -> None:  # fmt: skip
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


@pytest.mark.parametrize("values", [(True, 1, 1.0), (False, 0, 0.0)])
def test_json_body_keeps_apart_values_that_are_equal_but_not_the_same_json(values: tuple[Any, ...]) -> None:
    image = RENDERER.render(t2i(8))
    for value in values * 2:
        generation = Generation("gen_" + "1" * 32, _Plan("m", "image_base64", None), 1, image, 1.0, 0,  # type: ignore[arg-type]
                                {"use_lightning": value})  # fmt: skip
        assert json_body(generation) == json.dumps(generation.to_json(), separators=(",", ":")).encode()


json_documents = st.recursive(json_scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                              max_leaves=10)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(
    st.tuples(json_documents, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32-be"]))
    .map(lambda pair: json.dumps(pair[0], ensure_ascii=False).encode(pair[1], "surrogatepass")),
    st.binary(max_size=40),
    st.sampled_from([b'{"a": NaN}', b"[Infinity]", b'{"a": 1} x', b'"\\ud800"', b"\xef\xbb\xbf{}", b"{" * 3000]),
))  # fmt: skip
def test_parse_json_agrees_with_json_loads(body: bytes) -> None:
    """The parser keeps one decoder instead of making one per call, and must judge as json.loads does."""
    try:
        expected = json.loads(body, parse_constant=_refuse)
    except (ValueError, RecursionError):
        with pytest.raises(InvalidJson):
            parse_json(body)
        return
    if isinstance(expected, dict):
        assert parse_json(body).params == expected
    else:
        with pytest.raises(InvalidJson, match="must be a JSON object"):
            parse_json(body)


def _refuse(name: str) -> Any:
    raise ValueError(name)
