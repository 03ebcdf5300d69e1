"""Image synthesis: determinism, sizes, formats, visible dependence on every input, source checks, cache."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageStat

from mock_server.datatypes import OutputFormat, RenderSpec
from mock_server.errors import InvalidImage
from mock_server.imaging import caption as _caption
from mock_server.imaging import png as _png
from mock_server.imaging import renderer as imaging
from mock_server.imaging.renderer import Renderer, SourceImage, decode_source, output_size_for_edit

ROOT = Path(__file__).resolve().parents[2]
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
#: Mean absolute difference (0..255, averaged over pixels and channels) that counts as "visibly different".
VISIBLE = 20.0
FEW = settings(max_examples=6, deadline=None)


# --- helpers -------------------------------------------------------------------------------------


def t2i(
    seed: int = 42, width: int = 512, height: int = 512, output_format: OutputFormat = "png", **kw: Any
) -> RenderSpec:
    fields: dict[str, Any] = {"model": "eigen-image", "prompt": "a red fox in the snow"} | kw
    return RenderSpec(
        mode="text-to-image", seed=seed, width=width, height=height, output_format=output_format, **fields
    )


def edit(*sources: bytes, seed: int = 7, output_format: OutputFormat = "png", **kw: Any) -> RenderSpec:
    fields: dict[str, Any] = {"model": "qwen-image-edit-2511", "prompt": "make it blue"} | kw
    return RenderSpec(
        mode="image-editing", seed=seed, width=0, height=0, output_format=output_format, sources=sources, **fields
    )


def encoded(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def source(width: int = 96, height: int = 64, variant: int = 0, fmt: str = "PNG") -> bytes:
    """A synthetic photo-like source; different variants differ strongly everywhere."""
    ramp = Image.linear_gradient("L").resize((width, height))
    ramp = ramp.transpose(Image.Transpose.ROTATE_180) if variant % 2 else ramp
    flat = Image.new("L", (width, height), 40 + 170 * (variant % 2))
    image = Image.merge("RGB", (ramp, flat, ImageChops.invert(ramp)) if variant < 2 else (flat, ramp, ramp))
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, width // 2, height // 2), fill=(250, 250, 20 * variant))
    return encoded(image.convert("RGB"), fmt)


def pixels(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def mean_diff(a: bytes, b: bytes) -> float:
    first, second = pixels(a), pixels(b)
    assert first.size == second.size
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


def png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(tag, payload) of every chunk, checking each CRC."""
    assert data.startswith(MAGIC["png"])
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag, payload = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(tag + payload), tag
        yield tag, payload
        offset += 12 + length


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(cache_size=0)


# --- text-to-image -------------------------------------------------------------------------------


@FEW
@given(seed=st.integers(0, 2**32 - 1), prompt=st.text(min_size=1, max_size=60), fmt=st.sampled_from(["png", "jpg"]))
def test_same_spec_gives_the_same_bytes(seed: int, prompt: str, fmt: OutputFormat) -> None:
    spec = t2i(seed, 640, 576, fmt, prompt=prompt, knobs=(("guidance_scale", "3.5"),))
    first, second = Renderer(cache_size=0).render(spec), Renderer(cache_size=0).render(spec)
    assert first == second
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()


CROSS_PROCESS = """
import sys
from pathlib import Path
from mock_server.datatypes import RenderSpec
from mock_server.imaging.renderer import Renderer
src = Path(sys.argv[1]).read_bytes()
base = dict(model="eigen-image", prompt="déjà vu 🦊", seed=123, knobs=(("num_inference_steps", "30"),))
specs = [
    RenderSpec(mode="text-to-image", width=1024, height=768, output_format="png", **base),
    RenderSpec(mode="text-to-image", width=700, height=512, output_format="jpg", **base),
    RenderSpec(mode="image-editing", width=0, height=0, output_format="png", sources=(src, src), **base),
]
print(" ".join(Renderer().render(spec).sha256 for spec in specs))
"""


def test_same_bytes_in_a_fresh_process(tmp_path: Path) -> None:
    src = source(300, 200)
    (tmp_path / "src.png").write_bytes(src)
    base: dict[str, Any] = {"model": "eigen-image", "prompt": "déjà vu 🦊", "seed": 123}
    base["knobs"] = (("num_inference_steps", "30"),)
    specs = [
        RenderSpec(mode="text-to-image", width=1024, height=768, output_format="png", **base),
        RenderSpec(mode="text-to-image", width=700, height=512, output_format="jpg", **base),
        RenderSpec(mode="image-editing", width=0, height=0, output_format="png", sources=(src, src), **base),
    ]
    here = " ".join(Renderer().render(spec).sha256 for spec in specs)
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-c", CROSS_PROCESS, str(tmp_path / "src.png")]
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
        assert done.stdout.strip() == here


@FEW
@given(width=st.integers(512, 1100), height=st.integers(512, 1100), fmt=st.sampled_from(["png", "jpg"]))
def test_text_to_image_has_exactly_the_requested_size(
    renderer: Renderer, width: int, height: int, fmt: OutputFormat
) -> None:
    check_t2i_output(renderer, t2i(width=width, height=height, output_format=fmt))


@pytest.mark.parametrize(("width", "height", "fmt"), [(2048, 2048, "png"), (2048, 2048, "jpg"), (512, 2048, "png")])
def test_text_to_image_large_sizes(renderer: Renderer, width: int, height: int, fmt: OutputFormat) -> None:
    check_t2i_output(renderer, t2i(width=width, height=height, output_format=fmt))


@pytest.mark.parametrize(("width", "height"), [(1, 1), (30, 20), (3000, 40), (40, 2500)])
def test_text_to_image_outside_the_contract_sizes_still_works(renderer: Renderer, width: int, height: int) -> None:
    check_t2i_output(renderer, t2i(width=width, height=height))


def check_t2i_output(renderer: Renderer, spec: RenderSpec) -> None:
    result = renderer.render(spec)
    assert (result.width, result.height, result.output_format) == (spec.width, spec.height, spec.output_format)
    assert result.data.startswith(MAGIC[spec.output_format])
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == ("PNG" if spec.output_format == "png" else "JPEG")
        assert image.size == (spec.width, spec.height)
        image.load()


def test_png_is_well_formed(renderer: Renderer) -> None:
    """Every CRC, the zlib stream (its Adler-32 is combined from two parts) and the scanline count."""
    data = renderer.render(t2i(width=1000, height=600)).data
    chunks = list(png_chunks(data))
    assert [tag for tag, _ in chunks] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    width, height, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, color) == (1000, 600, 8, 3)
    raw = zlib.decompress(chunks[2][1])  # raises on a wrong Adler-32
    assert len(raw) == height * (width + 1)
    assert {raw[row * (width + 1)] for row in range(height)} <= {0, 1, 2}  # none, Sub, Up


def test_jpeg_is_baseline(renderer: Renderer) -> None:
    data = renderer.render(t2i(output_format="jpg")).data
    assert b"\xff\xc0" in data  # SOF0: baseline DCT
    assert b"\xff\xc2" not in data  # SOF2: progressive
    with Image.open(io.BytesIO(data)) as image:
        assert not image.info.get("progressive")


@settings(max_examples=8, deadline=None)
@given(pair=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2, unique=True))
def test_a_different_seed_gives_a_visibly_different_image(renderer: Renderer, pair: list[int]) -> None:
    first, second = (renderer.render(t2i(seed)).data for seed in pair)
    assert mean_diff(first, second) > VISIBLE


@pytest.mark.parametrize(
    "change",
    [
        {"prompt": "a blue whale"},
        {"model": "qwen-image"},
        {"negative_prompt": "blurry"},
        {"knobs": (("guidance_scale", "7.5"),)},
    ],
)
def test_prompt_model_and_knobs_change_the_image(renderer: Renderer, change: dict[str, Any]) -> None:
    assert mean_diff(renderer.render(t2i()).data, renderer.render(t2i(**change)).data) > VISIBLE


def test_png_and_jpeg_of_one_request_show_the_same_picture(renderer: Renderer) -> None:
    assert mean_diff(renderer.render(t2i()).data, renderer.render(t2i(output_format="jpg")).data) < 4


def test_caption_names_model_seed_size_and_prompt() -> None:
    spec = t2i(seed=987654321, width=1024, height=768, prompt="Une forêt enneigée au lever du soleil, très détaillée")
    head, prompt = imaging._caption_lines(spec, 1024, 768)
    assert "eigen-image" in head
    assert "987654321" in head
    assert "1024x768" in head
    assert prompt == "“Une foret enneigee au lever du soleil, t…”"  # the first 40 characters, accents folded


ODD_PROMPTS = ["日本語のプロンプト", "🦊🦊 emoji", "tab\tnew\nline\x00nul", "\ud800 lone surrogate", "x" * 9000]


@pytest.mark.parametrize("prompt", ODD_PROMPTS)
def test_any_prompt_renders(renderer: Renderer, prompt: str) -> None:
    result = renderer.render(t2i(prompt=prompt))
    assert pixels(result.data).size == (512, 512)
    for line in imaging._caption_lines(t2i(prompt=prompt), 512, 512):
        assert set(line) <= _caption._DRAWABLE


def test_caption_band_is_dark_with_light_text(renderer: Renderer) -> None:
    image = pixels(renderer.render(t2i(width=1024, height=1024)).data).convert("L")
    band = image.crop((0, 1024 - _caption.band_height(1024, 1024), 1024, 1024))
    stat = ImageStat.Stat(band)
    (low, high), mean = stat.extrema[0], stat.mean[0]
    assert low < 30
    assert high > 220
    assert mean < 60  # mostly background, so the ink contrasts


def test_every_character_the_caption_keeps_is_drawn_by_the_font() -> None:
    font = _caption._font(20)
    notdef = font.getmask("\ue000")
    for ch in _caption._DRAWABLE - {" "}:
        mask = font.getmask(ch)
        assert (mask.size, bytes(mask)) != (notdef.size, bytes(notdef)), ch


# --- editing -------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 20_000),
    height=st.integers(1, 20_000),
    mp=st.none() | st.floats(0.1, 16, allow_nan=False),
)
def test_edit_output_size_rule(width: int, height: int, mp: float | None) -> None:
    out_w, out_h = output_size_for_edit(width, height, mp)
    assert 1 <= out_w <= width
    assert 1 <= out_h <= height
    if mp is None or width * height <= mp * 1_000_000:
        assert (out_w, out_h) == (width, height)
        return
    assert out_w * out_h <= mp * 1_000_000
    if min(out_w, out_h) >= 50:
        assert abs(out_w / out_h - width / height) / (width / height) < 0.05
        assert out_w * out_h >= 0.9 * mp * 1_000_000  # scaled to the budget, not far below it


def test_edit_has_the_first_sources_size_scaled_down(renderer: Renderer) -> None:
    result = renderer.render(edit(source(1600, 900), source(300, 300, variant=1), downsizing_mp=0.5))
    assert (result.width, result.height) == output_size_for_edit(1600, 900, 0.5) == (942, 530)
    assert pixels(result.data).size == (942, 530)
    assert renderer.render(edit(source(640, 480))).width == 640  # never scaled up


def test_edit_depends_visibly_on_the_source(renderer: Renderer) -> None:
    first = renderer.render(edit(source(variant=0))).data
    second = renderer.render(edit(source(variant=1))).data
    assert mean_diff(first, second) > VISIBLE


def test_multi_source_edit_depends_on_every_source(renderer: Renderer) -> None:
    a, b, c = (source(variant=v) for v in range(3))
    base = renderer.render(edit(a, b, a)).data
    for changed in (edit(c, b, a), edit(a, c, a), edit(a, b, c)):
        assert mean_diff(base, renderer.render(changed).data) > VISIBLE / 4


def test_edit_seed_changes_the_image(renderer: Renderer) -> None:
    src = source()
    assert mean_diff(renderer.render(edit(src, seed=1)).data, renderer.render(edit(src, seed=2)).data) > VISIBLE


@pytest.mark.parametrize(("width", "height"), [(1, 1), (20, 20), (3, 500), (500, 3), (90, 60)])
@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_tiny_edits_work(renderer: Renderer, width: int, height: int, fmt: OutputFormat) -> None:
    result = renderer.render(edit(source(width, height), output_format=fmt))
    assert pixels(result.data).size == (width, height) == (result.width, result.height)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_edit_sources_may_be_png_jpeg_or_webp(renderer: Renderer, fmt: str) -> None:
    result = renderer.render(edit(source(fmt=fmt)))
    assert (result.width, result.height) == (96, 64)


def test_edit_spec_without_source_is_a_bug(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="source"):
        renderer.render(edit())


# --- decode_source -------------------------------------------------------------------------------


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR claiming another size (and a correct CRC): a cheap decompression bomb."""
    ihdr = struct.pack(">II", width, height) + png[24:29]
    return png[:16] + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + png[33:]


def with_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    at = jpeg.index(b"\xff\xc0") + 5  # SOF0: marker, length (2), precision (1), height, width
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4 :]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty", b""),
        ("garbage", b"this is not an image at all"),
        ("png magic only", MAGIC["png"]),
        ("truncated png", source(64, 64)[:200]),
        ("truncated jpeg", source(64, 64, fmt="JPEG")[:300]),
        ("gif", encoded(Image.new("P", (8, 8)), "GIF")),
        ("bmp", encoded(Image.new("RGB", (8, 8)), "BMP")),
        ("tiff", encoded(Image.new("RGB", (8, 8)), "TIFF")),
        ("zero width", with_png_size(source(8, 8), 0, 8)),
    ],
)
def test_bad_sources_are_invalid_image(name: str, data: bytes) -> None:
    with pytest.raises(InvalidImage) as caught:
        decode_source(data, max_pixels=40_000_000, param="images")
    assert caught.value.param == "images"
    assert caught.value.code == "invalid_image"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "bomb",
    [
        with_png_size(source(8, 8), 100_000, 100_000),
        with_png_size(source(8, 8), 8000, 5001),  # just over 40 MP, under Pillow's own limit
        with_jpeg_size(source(8, 8, fmt="JPEG"), 65_000, 65_000),
    ],
)
def test_bombs_are_refused_from_the_header(bomb: bytes) -> None:
    with pytest.raises(InvalidImage, match="more than the limit") as caught:
        decode_source(bomb, max_pixels=40_000_000, param="image_file")
    assert caught.value.param == "image_file"


def test_the_size_limit_is_ours_not_pillows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow would warn or raise for 96 x 64
    assert decode_source(source(), max_pixels=10_000).width == 96
    with pytest.raises(InvalidImage, match="more than the limit"):
        decode_source(source(), max_pixels=96 * 64 - 1)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGBA", (10, 6), (255, 0, 0, 0)),
        Image.new("LA", (10, 6), (0, 128)),
        Image.new("L", (10, 6), 77),
        Image.new("P", (10, 6), 3),
        Image.new("I;16", (10, 6), 40000),
        Image.new("1", (10, 6), 1),
    ],
)
def test_sources_of_any_png_mode_become_rgb(image: Image.Image) -> None:
    decoded = decode_source(encoded(image), max_pixels=100)
    assert (decoded.image.mode, decoded.width, decoded.height) == ("RGB", 10, 6)


def test_transparent_pixels_become_white_and_cmyk_jpeg_decodes() -> None:
    decoded = decode_source(encoded(Image.new("RGBA", (4, 4), (255, 0, 0, 0))), max_pixels=100)
    assert decoded.image.getpixel((0, 0)) == (255, 255, 255)
    cmyk = decode_source(encoded(Image.new("CMYK", (4, 4), (0, 0, 0, 0)), "JPEG"), max_pixels=100)
    assert cmyk.image.mode == "RGB"


def test_decoded_source_records_hash_and_size() -> None:
    data = source(50, 30, fmt="JPEG")
    decoded = decode_source(data, max_pixels=10_000)
    assert isinstance(decoded, SourceImage)
    assert (decoded.sha256, decoded.width, decoded.height) == (hashlib.sha256(data).hexdigest(), 50, 30)


SAMPLES = [source(24, 16), source(24, 16, fmt="JPEG"), source(24, 16, fmt="WEBP")]


@settings(max_examples=80, deadline=None)
@given(sample=st.sampled_from(SAMPLES), edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255))))
def test_corrupted_sources_never_raise_anything_but_invalid_image(sample: bytes, edits: list[tuple[int, int]]) -> None:
    data = bytearray(sample)
    for at, value in edits:
        data[at % len(data)] = value
    try:
        decoded = decode_source(bytes(data), max_pixels=10_000)
    except InvalidImage:
        return
    assert decoded.image.mode == "RGB"
    assert decoded.width * decoded.height <= 10_000


# --- the PNG writer ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(first=st.binary(max_size=5000), second=st.binary(max_size=5000))
def test_adler32_combine(first: bytes, second: bytes) -> None:
    combined = _png.adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


@st.composite
def index_pictures(draw: st.DrawFn) -> Image.Image:
    """Small "L" pictures whose rows often repeat the one above (as a doubled canvas's do)."""
    width = draw(st.integers(1, 40))
    rows = [draw(st.binary(min_size=width, max_size=width))]
    for _ in range(draw(st.integers(0, 30))):
        rows.append(rows[-1] if draw(st.booleans()) else draw(st.binary(min_size=width, max_size=width)))
    return Image.frombytes("L", (width, len(rows)), b"".join(rows))


@settings(max_examples=60, deadline=None)
@given(index_pictures())
def test_filtered_rows_decode_to_the_same_indices(indices: Image.Image) -> None:
    width, height = indices.size
    prefix = _png.make_prefix(width, height, _png.filtered_rows(indices))
    data = _png.finish(prefix, bytes(range(256)) * 3, [_png.deflate(b"", final=True)])
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.mode == "P" and decoded.tobytes() == indices.tobytes()
    repeats = sum(indices.crop((0, y, width, y + 1)).tobytes() == indices.crop((0, y - 1, width, y)).tobytes()
                  for y in range(1, height))  # fmt: skip
    raw = zlib.decompressobj().decompress(prefix.zprefix)  # the rows: the stream ends at a flush point
    assert sum(raw[row * (width + 1)] == 2 for row in range(height)) == repeats  # Up exactly where a row repeats


# --- cache ---------------------------------------------------------------------------------------


def test_cache_returns_the_identical_result() -> None:
    cached = Renderer(cache_size=4)
    spec = t2i(seed=5)
    first = cached.render(spec)
    assert cached.render(spec) is first
    assert Renderer(cache_size=0).render(spec) == first


def test_cache_key_covers_format_and_source_bytes() -> None:
    cached = Renderer(cache_size=8)
    assert cached.render(t2i()).data != cached.render(t2i(output_format="jpg")).data
    assert cached.render(edit(source(variant=0))).data != cached.render(edit(source(variant=1))).data


def test_cache_evicts_the_least_recently_used() -> None:
    cached = Renderer(cache_size=2)
    one, two, three = (cached.render(t2i(seed)) for seed in (1, 2, 3))
    assert cached.render(t2i(3)) is three
    assert cached.render(t2i(2)) is two
    again = cached.render(t2i(1))
    assert again is not one
    assert again == one


def test_cache_byte_budget() -> None:
    cached = Renderer(cache_size=10, cache_bytes=1)
    first = cached.render(t2i())
    assert cached.render(t2i()) is not first


def test_render_is_thread_safe() -> None:
    specs = [t2i(seed % 3, 512 + 64 * (seed % 2), output_format="png" if seed % 4 else "jpg") for seed in range(24)]
    shared = Renderer(cache_size=4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(shared.render, specs))
    expected = [Renderer(cache_size=0).render(spec) for spec in specs]
    assert results == expected
