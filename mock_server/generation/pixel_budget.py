"""How many source pixels a process decodes at once: a budget that requests wait their turn for.

A source may have tens of megapixels and a decoded one costs three bytes a pixel, several times
over while it is blended, quantised and encoded: one 40 MP source peaks at about half a gigabyte.
Nothing used to bound the sources of one request together, or the requests in flight, so nine
40 MP sources (a 1.1 MB upload) peaked at 2.35 GB and two such requests at 4.3 GB. Now the sources
of one request may have at most ``Settings.max_request_pixels`` together (more is ``400
invalid_image``, before any is decoded), and a request reserves its sources' pixels here before
decoding them: when the process already decodes ``total`` pixels, it waits until enough are
given back. A request never needs more than ``total`` (``max_request_pixels`` is at most
``max_inflight_pixels``), so each one eventually runs. Blocking: render threads wait here, never
the event loop. No HTTP here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PixelBudget:
    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("a pixel budget must be positive")
        self.total = total
        self._free = total
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self.total - self._free

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        """Hold ``pixels`` (at most ``total``) for the block, waiting until they are free."""
        wanted = min(max(pixels, 0), self.total)
        if wanted == 0:  # text-to-image: no lock on the fast path
            yield
            return
        with self._changed:
            self._changed.wait_for(lambda: self._free >= wanted)
            self._free -= wanted
        try:
            yield
        finally:
            with self._changed:
                self._free += wanted
                self._changed.notify_all()
