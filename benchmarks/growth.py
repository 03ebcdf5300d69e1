"""Cost growth: CPU time per image as the picture grows, measured in-process on the renderer.

Text-to-image at 512², 1024² and 2048² (a new seed per image, after the first image of each size
built that size's canvases, as a running server has), and editing with a 1 MP PNG and a 4 MP
JPEG source: "same source" (a new seed on a source the server has seen, as in a test suite that
uploads the same fixture) and "new source" (bytes it has never seen). Medians of ``n`` calls.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from PIL import Image

from mock_server.datatypes import OutputFormat, RenderSpec
from mock_server.imaging.renderer import Renderer

from .sources import photo_like
from .stats import median

PROMPT = "A watercolor fox in a snowy forest at dawn, soft light"


@dataclass(frozen=True, slots=True)
class Cost:
    case: str
    megapixels: float
    cpu_ms: float
    n: int

    @property
    def ms_per_megapixel(self) -> float:
        return self.cpu_ms / self.megapixels

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case, "megapixels": round(self.megapixels, 3), "cpu_ms": round(self.cpu_ms, 3),
                "ms_per_megapixel": round(self.ms_per_megapixel, 3), "n": self.n}  # fmt: skip


def _cpu_ms(calls: Sequence[Callable[[], object]]) -> float:
    times = []
    for call in calls:
        start = time.process_time()
        call()
        times.append((time.process_time() - start) * 1000)
    return median(times)


def _t2i(seed: int, side: int, fmt: OutputFormat = "png") -> RenderSpec:
    return RenderSpec("eigen-image", "text-to-image", PROMPT, seed, side, side, fmt)


def _edit(seed: int, source: bytes) -> RenderSpec:
    return RenderSpec("eigen-image", "image-editing", "Make it look like winter", seed, 0, 0, "png", sources=(source,))


def _variants(source: bytes, count: int) -> list[bytes]:
    """``count`` sources that differ from ``source`` (and from each other) in one pixel."""
    image = Image.open(io.BytesIO(source))
    image.load()
    out = []
    for k in range(count):
        changed = image.copy()
        changed.putpixel((k, 0), (k % 256, 255 - k % 256, 7))
        buffer = io.BytesIO()
        changed.save(buffer, image.format or "PNG", **({"quality": 90} if image.format == "JPEG" else {}))
        out.append(buffer.getvalue())
    return out


def measure(n: int) -> list[Cost]:
    renderer, costs = Renderer(cache_size=0), []
    for side in (512, 1024, 2048):
        for seed in range(8):  # every pattern's canvas of this size, as after a server's first requests
            renderer.render(_t2i(900_000 + seed, side))
        calls = [partial(renderer.render, _t2i(seed, side)) for seed in range(1, n + 1)]
        costs.append(Cost(f"text-to-image {side}x{side} PNG", side * side / 1e6, _cpu_ms(calls), n))
    for label, source, megapixels in (("1 MP PNG", photo_like(1024, 1024), 1.048576),
                                      ("4 MP JPEG", photo_like(2304, 1728, "JPEG"), 3.981312)):  # fmt: skip
        renderer.render(_edit(0, source))
        count = max(3, n // 4)
        same = [partial(renderer.render, _edit(seed, source)) for seed in range(1, count + 1)]
        costs.append(Cost(f"edit, {label} source seen before, new seed", megapixels, _cpu_ms(same), count))
        fresh = [partial(renderer.render, _edit(1, v)) for v in _variants(source, count)]
        costs.append(Cost(f"edit, {label} source never seen", megapixels, _cpu_ms(fresh), count))
    return costs
