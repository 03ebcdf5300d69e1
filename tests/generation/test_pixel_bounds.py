"""The bounds on decoded pixels: per request (a 400 that gives the bound), in flight (a wait),
and the caches' bytes. In process and fast; the memory itself is measured in test_memory_bounds."""

from __future__ import annotations

import io
import threading
import time

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from mock_server.generation.pixel_budget import PixelBudget
from mock_server.imaging.edits import EditCache
from mock_server.imaging.renderer import decode_source
from tests.fixtures.app import AppFactory, InProcessClient
from tests.support import assert_error


def png(width: int, height: int, shade: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def edit(client: InProcessClient, *sources: bytes) -> object:
    files = [("images", (f"{n}.png", data, "image/png")) for n, data in enumerate(sources)]
    return client.generate(data={"model": "qwen-image-edit-2511", "prompt": "edit", "seed": "1"}, files=files)


def test_sources_over_the_request_bound_together_are_a_400_that_gives_the_bound(app_factory: AppFactory) -> None:
    client = InProcessClient(app_factory(max_request_pixels=20_000, max_inflight_pixels=20_000))

    assert edit(client, png(100, 100), png(100, 100)).status_code == 200  # type: ignore[attr-defined]
    response = edit(client, png(100, 100), png(100, 100), png(10, 10, 3))

    body = assert_error(response, 400, "invalid_image", param="images")  # type: ignore[arg-type]
    assert "20000 pixels" in body["error"]["message"] and "per request" in body["error"]["message"]


@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=12))
def test_pixels_in_flight_never_exceed_the_budget(wants: list[int]) -> None:
    budget = PixelBudget(100)
    seen: list[int] = []
    lock = threading.Lock()

    def work(pixels: int) -> None:
        with budget.reserve(pixels):
            with lock:
                seen.append(budget.in_use)
            time.sleep(0.001)

    threads = [threading.Thread(target=work, args=(pixels,)) for pixels in wants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)  # a request over the budget waits, never forever
    assert max(seen) <= 100 and budget.in_use == 0


def test_decoded_sources_are_kept_within_their_bytes() -> None:
    cache = EditCache(decoded=9, decoded_bytes=3 * 200 * 200 * 2)
    for shade in range(5):
        data = png(200, 200, shade)
        cache.check(data, 10**6, lambda raw: decode_source(raw, max_pixels=10**6))
    assert cache._decoded.bytes <= 3 * 200 * 200 * 2 and len(cache._decoded) == 2
    cache.clear()
    assert cache._decoded.bytes == 0 and not len(cache._decoded)


def test_remembered_hashes_hold_at_most_their_bytes() -> None:
    cache = EditCache(hashed_bytes=1000)
    for index in range(10):
        cache.sha256(bytes([index]) * 400)
    assert sum(len(data) for data, _ in cache._hashes) <= 1000


def test_a_reset_empties_every_image_cache(app_factory: AppFactory) -> None:
    app = app_factory()
    client = InProcessClient(app)
    assert edit(client, png(64, 64)).status_code == 200  # type: ignore[attr-defined]
    renderer = app.state.runtime.generator.renderer
    assert len(renderer._cache) and len(renderer._edits._bases)

    assert client.post("/_mock/reset").status_code == 204

    assert not len(renderer._cache) and not len(renderer._edits._bases) and not len(renderer._edits._decoded)
