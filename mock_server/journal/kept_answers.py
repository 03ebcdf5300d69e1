"""The newest answers as sent (status, headers, body), bounded, for a HAR export with bodies.

The journal keeps hashes, never image bytes; a HAR file with ``?bodies=true`` needs the bytes of
what was answered. The recording middleware hands each answer over here (a generated image's
answer as its generation, which makes the same bytes again; any other as the bytes it sent), and
this keeps the newest ``count`` of them within ``max_bytes``, so the memory held is bounded
whatever the traffic. Kept per
process: with ``--workers N`` each worker keeps what it answered. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

MIB = 1024 * 1024


class KeptAnswer(NamedTuple):
    """One answer. ``source`` is its body, or a function that makes the same bytes again: an image
    answer keeps its generation (alive in the render cache anyway), not a copy of the body it sent,
    since keeping each body a request made would cost a fresh allocation per request."""

    status: int
    #: As sent (ASGI's byte pairs): decoded only for an export, not on the request's path.
    raw_headers: Sequence[tuple[bytes, bytes]]
    size: int
    source: bytes | Callable[[], bytes]

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self.raw_headers]

    @property
    def body(self) -> bytes:
        return self.source if isinstance(self.source, bytes) else self.source()


class KeptAnswers:
    """Parameters: ``count``, the answers kept (0 keeps none); ``max_bytes``, their bodies' total.

    A ring of ``count`` slots, written without a lock: one write per request, the cheapest there
    is on the request's path (a race between two threads can only drop an answer, and a HAR then
    says its body is no longer kept). An answer kept as sent may be at most ``max_bytes / count``
    bytes, so the ring never holds more than ``max_bytes``; one made again holds no body at all.
    """

    def __init__(self, count: int, max_bytes: int = 32 * MIB) -> None:
        self.count, self.max_bytes = count, max_bytes
        self._largest = max_bytes // count if count > 0 else -1
        self._ring: list[tuple[str, KeptAnswer] | None] = [None] * max(count, 0)
        self._next = 0

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def keep(self, request_id: str, answer: KeptAnswer) -> None:
        if isinstance(answer.source, bytes) and answer.size > self._largest or not self.count:
            return
        slot = self._next
        self._next = slot + 1
        self._ring[slot % self.count] = (request_id, answer)

    def get(self, request_id: str) -> KeptAnswer | None:
        """The newest answer kept for ``request_id``."""
        newest = self._next
        for back in range(1, len(self._ring) + 1):
            entry = self._ring[(newest - back) % len(self._ring)]
            if entry is not None and entry[0] == request_id:
                return entry[1]
        return None

    def clear(self) -> None:
        self._ring = [None] * max(self.count, 0)

    reset = clear
