"""Making gallery thumbnails off the request path, within a small share of one core.

A request only hands its image over (a reference: no work, no wait). A daemon thread makes the
thumbnails, newest first, for at most ``pending`` waiting images (older ones are dropped: they
would have scrolled off the gallery anyway) and rests between them so that it is busy at most
``duty`` of the time (0.5%: at 10%, a load test lost a tenth of its throughput to thumbnails and
the thread's turns with the GIL stretched its p99), so a load test pays little for a page nobody
is looking at. ``drain()`` makes the waiting ones at once; the gallery calls it when someone is
looking. The thread ends when it has been idle a while and the next image starts it again, so
many short-lived apps (a test suite) do not pile up threads. No HTTP here.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque

from mock_server.gallery.thumbnails import ThumbnailCache, image_in_body

MIB = 1024 * 1024


class Thumbnailer:
    """Parameters: ``cache``; ``pending`` images and ``pending_bytes`` waiting at most; ``duty``."""

    IDLE_SECONDS = 5.0

    def __init__(self, cache: ThumbnailCache, *, pending: int = 32, pending_bytes: int = 32 * MIB,
                 duty: float = 0.005) -> None:
        self.cache = cache
        self._pending, self._pending_bytes, self._duty = pending, pending_bytes, duty
        self._waiting: deque[tuple[str, bytes]] = deque()
        self._bytes = 0
        #: Images handed over lately: a repeated request (same image) costs nothing more.
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._making = 0  #: images the thread has taken and not yet added to the cache

    def submit(self, sha256: str, image: bytes) -> None:
        if self.cache.count <= 0:
            return
        with self._condition:
            if sha256 in self._recent:
                return
            self._recent[sha256] = None
            while len(self._recent) > self.cache.count:  # no longer than the cache keeps thumbnails
                self._recent.popitem(last=False)
            self._waiting.append((sha256, image))
            self._bytes += len(image)
            while len(self._waiting) > self._pending or self._bytes > self._pending_bytes:
                self._bytes -= len(self._waiting.popleft()[1])
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="eigen-mock-thumbnails", daemon=True)
                self._thread.start()
            # The thread and any drain() wait on this condition: notify() might wake only a drain().
            self._condition.notify_all()

    def submit_answer(self, content_type: str | None, body: bytes) -> str | None:
        """Hand over the image an answer carries (``image_in_body``); the image's SHA-256, if it has one."""
        image = image_in_body(content_type, body)
        if image is None:
            return None
        digest = hashlib.sha256(image).hexdigest()
        self.submit(digest, image)
        return digest

    def drain(self, timeout: float = 2.0) -> None:
        """Make the waiting thumbnails now, and wait for the one the thread may be making (for at
        most ``timeout`` seconds in all): afterwards every image handed over is in the cache."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (item := self._next()) is not None:
            self.cache.add(*item)
        with self._condition:
            while self._making and (left := deadline - time.monotonic()) > 0:
                self._condition.wait(left)

    def clear(self) -> None:
        with self._condition:
            self._waiting.clear()
            self._recent.clear()
            self._bytes = 0

    def _next(self, *, making: bool = False) -> tuple[str, bytes] | None:
        with self._condition:
            if not self._waiting:
                return None
            item = self._waiting.pop()  # newest first: the gallery shows the newest first
            self._bytes -= len(item[1])
            if making:
                self._making += 1
            return item

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._waiting:
                    self._condition.wait(self.IDLE_SECONDS)
                if not self._waiting:
                    self._thread = None
                    return
            item = self._next(making=True)
            if item is None:
                continue
            started = time.monotonic()
            try:
                self.cache.add(*item)
            finally:
                with self._condition:
                    self._making -= 1
                    self._condition.notify_all()
            time.sleep((time.monotonic() - started) * (1 - self._duty) / self._duty)
