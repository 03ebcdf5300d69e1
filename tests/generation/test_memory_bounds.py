"""Memory stays bounded: the sources of a request together, the requests in flight, the caches.

A server process is measured from ``/proc`` (``VmRSS``, and ``VmHWM``: its peak since it
started). Nine 40 MP PNGs make a 1.1 MB upload; before the bound, one such request peaked at
2.35 GB and two at once at 4.3 GB, and about 2 GB stayed in caches. Figures for
``benchmarks/notes.md`` come from the same measurement (run this module with ``-s``).
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from mock_server import Settings
from tests.fixtures.servers import free_port, mock_command, server_process

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")]

GIB = 1024**3
SIDE = 6300  # 39.7 MP, under the 40 MP a single source may have
AUTH = {"Authorization": "Bearer eigen-mock-key"}


def memory(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of ``pid``, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def solid_png(side: int, shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (shade, 255 - shade, (7 * shade) % 256)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def big_sources() -> list[bytes]:
    return [solid_png(SIDE, 25 * index) for index in range(9)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    port = free_port()
    with server_process(mock_command("--no-s3", "--port", str(port), "--log-level", "warning"), port=port) as url:
        pid = int(httpx.get(f"{url}/_mock/health").json()["pid"])
        yield url, pid


def edit_at_once(url: str, requests: list[list[bytes]]) -> list[httpx.Response]:
    """Send each list of sources as one edit request, all at the same time."""
    answers: list[httpx.Response] = []

    def send(index: int, sources: list[bytes]) -> None:
        files = [("images", (f"s{n}.png", data, "image/png")) for n, data in enumerate(sources)]
        data = {"model": "qwen-image-edit-2511", "prompt": "edit", "seed": str(index)}
        answers.append(httpx.post(f"{url}/api/v1/generate", data=data, files=files, headers=AUTH, timeout=120))

    threads = [threading.Thread(target=send, args=(n, sources)) for n, sources in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(requests)
    return answers


def test_nine_40_mp_sources_twice_at_once_stay_under_a_gibibyte_and_reset_gives_memory_back(
    server: tuple[str, int], big_sources: list[bytes]
) -> None:
    url, pid = server
    assert (
        httpx.post(
            f"{url}/api/v1/generate", json={"model": "eigen-image", "prompt": "warm", "seed": 1}, headers=AUTH
        ).status_code
        == 200
    )
    time.sleep(0.5)
    idle = memory(pid)["VmRSS"]

    refused = edit_at_once(url, [big_sources, big_sources[::-1]])
    for answer in refused:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "invalid_image"
        assert str(Settings().max_request_pixels) in answer.json()["error"]["message"]
    # One 40 MP source each: allowed; the in-flight bound makes the second wait for the first.
    done = edit_at_once(url, [big_sources[:1], big_sources[1:2]])
    assert [answer.status_code for answer in done] == [200, 200]
    peak = memory(pid)["VmHWM"]

    assert httpx.post(f"{url}/_mock/reset").status_code == 204
    after_reset = memory(pid)["VmRSS"]
    sys.stdout.write(
        f"\nidle {idle / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB, after reset {after_reset / 2**20:.0f} MiB\n"
    )
    assert peak < GIB
    assert after_reset <= 1.5 * idle
