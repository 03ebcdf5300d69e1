"""The gallery page in a real headless browser (Debian's chromium, which ``make test`` installs)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from mock_server import MockServer, Settings
from mock_server.gallery.routes import ASSETS
from mock_server.gallery.thumbnailer import Thumbnailer
from mock_server.gallery.thumbnails import MAX_BYTES, SIZE, ThumbnailCache, make_thumbnail
from mock_server.state.store import MemoryStore
from tests.fixtures.client import T2I

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=5000"]
PROMPTS = {"eigen-image": "a red fox reading a newspaper", "qwen-image": "a lighthouse at dusk",
           "wan-image": "a bowl of ramen"}


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless chromium with a fresh profile; its stdout. Fails (never skips) without chromium."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    done = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def busy_mock() -> Iterator[MockServer]:
    """A mock that has served what a gallery should show: images, an error, two faults."""
    with MockServer(Settings(access_log=False)) as mock, \
            httpx.Client(base_url=mock.url, headers=mock.headers, timeout=30) as client:
        for seed, (model, prompt) in enumerate(PROMPTS.items(), start=1):
            client.post("/api/v1/generate", json={**T2I, "model": model, "prompt": prompt, "seed": seed})
        mock.fail(429, retry_after=2)
        client.post("/api/v1/generate", json={**T2I, "prompt": "too fast"})
        mock.fail(fault="CONNECTION_RESET_BY_PEER")
        with pytest.raises(httpx.ReadError):
            client.post("/api/v1/generate", json={**T2I, "prompt": "cut off"})
        client.post("/api/v1/generate", json={**T2I, "prompt": "bad size", "width": 5})
        yield mock


def test_the_page_shows_thumbnails_parameters_statuses_and_faults(busy_mock: MockServer, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", f"{busy_mock.url}/_mock/ui")
    refreshes = re.search(r'data-refreshes="(\d+)"', dom)
    assert refreshes is not None and int(refreshes.group(1)) >= 2  # the script loaded the list, then refreshed it
    assert re.findall(r'data-status="([^"]+)"', dom) == ["400", "None", "429", "200", "200", "200"]
    thumbnails = re.findall(r'<img src="(/_mock/ui/thumbnails/[0-9a-f]{64}\.jpg)"', dom)
    assert len(thumbnails) == 3
    for prompt in PROMPTS.values():
        assert prompt in dom
    assert "f1: 429 rate_limited" in dom and "CONNECTION_RESET_BY_PEER" in dom and "invalid_parameter" in dom
    assert "seed 1" in dom and "512×512" in dom and "Loading the journal" not in dom
    for source in thumbnails:
        answer = httpx.get(busy_mock.url + source)
        assert answer.headers["content-type"] == "image/jpeg" and answer.content.startswith(b"\xff\xd8")


def test_a_screenshot_of_the_page_shows_the_gallery(busy_mock: MockServer, tmp_path: Path) -> None:
    shot = tmp_path / "gallery.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1000", f"{busy_mock.url}/_mock/ui")
    with Image.open(shot) as image:
        assert image.size == (1280, 1000)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 2_000  # thumbnails and text, not a blank or error page


def test_the_page_needs_no_network() -> None:
    for name in ("index.html", "gallery.css", "gallery.js"):
        text = (ASSETS / name).read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), f"{name} refers to the network"


def test_a_control_token_travels_from_the_page_to_its_cards_and_thumbnails() -> None:
    with MockServer(Settings(access_log=False, control_token="ui-secret")) as mock:
        httpx.post(f"{mock.url}/api/v1/generate", json=T2I, headers=mock.headers, timeout=30)
        assert httpx.get(f"{mock.url}/_mock/ui").status_code == 401
        cards = httpx.get(f"{mock.url}/_mock/ui/calls", params={"token": "ui-secret"}).text
        source = re.search(r'src="([^"]+)"', cards)
        assert source is not None and source.group(1).endswith("?token=ui-secret")
        assert httpx.get(mock.url + source.group(1).replace("&amp;", "&")).status_code == 200


@given(count=st.integers(min_value=1, max_value=5), images=st.integers(min_value=0, max_value=12))
def test_the_thumbnail_cache_keeps_the_newest_few_small_jpegs(count: int, images: int) -> None:
    cache = ThumbnailCache(MemoryStore(), count)
    pictures = [_picture(index) for index in range(images)]
    for index, picture in enumerate(pictures):
        assert cache.add(f"{index:064x}", picture)
    kept = [cache.get(f"{index:064x}") for index in range(images)]
    assert sum(item is not None for item in kept) == min(count, images)
    assert all(item is None for item in kept[: max(images - count, 0)])
    for item in kept:
        if item is not None:
            assert len(item) <= MAX_BYTES and item.startswith(b"\xff\xd8")


def _picture(index: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (index * 20 % 256, 80, 160)).save(out, "PNG")
    return out.getvalue()


def test_a_thumbnail_is_small_whatever_the_image() -> None:
    thumbnail = make_thumbnail(_picture(1))
    assert thumbnail is not None
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert max(image.size) <= SIZE
    assert make_thumbnail(b"not an image") is None


def test_thumbnails_are_made_in_the_background_and_waiting_images_are_bounded() -> None:
    cache = ThumbnailCache(MemoryStore(), 10)
    background = Thumbnailer(cache, duty=1.0)
    background.IDLE_SECONDS = 0.05
    for index in range(3):
        background.submit(f"{index:064x}", _picture(index))
    background.drain()
    assert all(cache.get(f"{index:064x}") is not None for index in range(3))
    for _ in range(100):  # the idle thread ends (bounded wait)
        if background._thread is None:
            break
        time.sleep(0.02)
    assert background._thread is None
    starved = Thumbnailer(ThumbnailCache(MemoryStore(), 10), pending_bytes=1)
    starved.submit("f" * 64, _picture(0))
    starved.drain()
    assert starved.cache.get("f" * 64) is None


def test_drain_waits_for_the_thumbnail_the_thread_is_making() -> None:
    taken, release = threading.Event(), threading.Event()

    class SlowCache(ThumbnailCache):
        def add(self, sha256: str, image: bytes) -> bool:
            taken.set()
            release.wait(10)
            return super().add(sha256, image)

    cache = SlowCache(MemoryStore(), 10)
    background = Thumbnailer(cache, duty=1.0)
    background.submit("a" * 64, _picture(1))
    assert taken.wait(10)  # the thread has it: nothing is left waiting for drain to make itself
    threading.Timer(0.2, release.set).start()
    background.drain(timeout=10)
    assert cache.get("a" * 64) is not None
