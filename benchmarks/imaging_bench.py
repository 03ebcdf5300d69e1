"""Micro-benchmark of ``mock_server.imaging.renderer.Renderer.render``: milliseconds per image.

Prints a table (median CPU time by ``time.process_time`` and wall time by ``time.perf_counter``)
and writes the same figures as JSON to ``--out``. Unique-image cases use a new seed per call
with the result cache off, after a warm-up that builds the per-size canvases (which a server
keeps after its first request of a size); "new size" cases measure that first request.

    .venv/bin/python benchmarks/imaging_bench.py --out /tmp/imaging-bench.json
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import PIL
from PIL import Image, ImageChops

from mock_server.datatypes import OutputFormat, RenderSpec
from mock_server.imaging.renderer import Renderer

PROMPT = "A watercolor fox in a snowy forest at dawn, soft light, highly detailed"


def t2i(seed: int, width: int, height: int, output_format: OutputFormat = "png") -> RenderSpec:
    return RenderSpec("eigen-image", "text-to-image", PROMPT, seed, width, height, output_format)


def edit(seed: int, source: bytes, output_format: OutputFormat = "png") -> RenderSpec:
    return RenderSpec("qwen-image-edit-2511", "image-editing", PROMPT, seed, 0, 0, output_format, sources=(source,))


def photo_like_jpeg(width: int, height: int) -> bytes:
    """A JPEG with smooth shapes, fine detail and grain, so that it compresses like a photo."""
    detail = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 1.0, 1.2), 80)
    ramp = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (detail, ramp, ImageChops.invert(ramp)))
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(image, grain, 0.15).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def measure(name: str, calls: Iterator[Callable[[], int]], n: int) -> dict[str, Any]:
    cpu, wall, sizes = [], [], []
    for _, call in zip(range(n), calls, strict=False):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        sizes.append(call())
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return {
        "case": name,
        "n": len(cpu),
        "cpu_ms": round(statistics.median(cpu) * 1000, 3),
        "wall_ms": round(statistics.median(wall) * 1000, 3),
        "bytes": int(statistics.median(sizes)),
    }


def renders(renderer: Renderer, specs: Iterator[RenderSpec]) -> Iterator[Callable[[], int]]:
    """One call per spec, returning the encoded size."""
    for spec in specs:
        yield partial(_size_of, renderer, spec)


def _size_of(renderer: Renderer, spec: RenderSpec) -> int:
    return len(renderer.render(spec).data)


def seeds(start: int) -> Iterator[int]:
    return iter(range(start, start + 1_000_000))


def warm(renderer: Renderer, width: int, height: int, output_format: OutputFormat) -> None:
    """Build every pattern's canvas of this size (the first request of a size pays for it)."""
    for seed in range(24):
        renderer.render(t2i(10_000_000 + seed, width, height, output_format))


def run(n: int) -> list[dict[str, Any]]:
    fresh, cached = Renderer(cache_size=0), Renderer(cache_size=16)
    results = []
    for width, height, fmt, count in ((1024, 1024, "png", n), (512, 512, "png", n), (2048, 2048, "png", n // 2),
                                      (1024, 1024, "jpg", n // 2), (2048, 2048, "jpg", n // 4)):  # fmt: skip
        output_format: OutputFormat = "png" if fmt == "png" else "jpg"
        warm(fresh, width, height, output_format)
        specs = (t2i(seed, width, height, output_format) for seed in seeds(1))
        results.append(measure(f"t2i {width}x{height} {fmt}, unique seed", renders(fresh, specs), count))
    cached.render(t2i(7, 1024, 1024))
    repeats = (t2i(7, 1024, 1024) for _ in seeds(0))
    results.append(measure("t2i 1024x1024 png, cached repeat", renders(cached, repeats), n))
    new_sizes = (t2i(seed, 1024, 1100 + seed) for seed in seeds(0))
    results.append(measure("t2i 1024x(new height) png, first of its size", renders(fresh, new_sizes), n // 4))
    source = photo_like_jpeg(2304, 1728)
    for fmt in ("png", "jpg"):
        output_format = "png" if fmt == "png" else "jpg"
        specs = (edit(seed, source, output_format) for seed in seeds(1))
        results.append(measure(f"edit 2304x1728 (4 MP) jpeg source -> {fmt}", renders(fresh, specs), max(3, n // 6)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON results")
    parser.add_argument("-n", type=int, default=40, help="calls per case (some cases use a fraction)")
    args = parser.parse_args(argv)
    results = run(max(4, args.n))
    width = max(len(row["case"]) for row in results)
    print(f"{'case':<{width}}  {'n':>4}  {'cpu ms':>8}  {'wall ms':>8}  {'bytes':>9}")
    for row in results:
        case, count, size = row["case"], row["n"], row["bytes"]
        print(f"{case:<{width}}  {count:>4}  {row['cpu_ms']:>8.2f}  {row['wall_ms']:>8.2f}  {size:>9}")
    meta = {"python": platform.python_version(), "pillow": PIL.__version__, "machine": platform.machine()}
    args.out.write_text(json.dumps({**meta, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
