"""The newest answers as sent (status, headers, body), bounded, for a HAR export with bodies.

The journal keeps hashes, never image bytes; a HAR file with ``?bodies=true`` needs the bytes of
what was answered. The recording middleware hands each answer over here (references to the
bytes already sent: no copy, no encoding), and this keeps the newest ``count`` of them, dropping
the oldest past ``max_bytes`` in all, so the memory held is bounded whatever the traffic. Kept per
process: with ``--workers N`` each worker keeps what it answered. No HTTP here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
#: Answers larger than this are never kept (a HAR file is no place for them).
MAX_ANSWER_BYTES = 16 * MIB


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class KeptAnswers:
    """Parameters: ``count``, the answers kept (0 keeps none); ``max_bytes``, their bodies' total."""

    def __init__(self, count: int, max_bytes: int = 32 * MIB) -> None:
        self.count, self.max_bytes = count, max_bytes
        self._answers: OrderedDict[str, KeptAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def keep(self, request_id: str, answer: KeptAnswer) -> None:
        if not self.enabled or len(answer.body) > min(MAX_ANSWER_BYTES, self.max_bytes):
            return
        with self._lock:
            old = self._answers.pop(request_id, None)
            self._bytes -= 0 if old is None else len(old.body)
            self._answers[request_id] = answer
            self._bytes += len(answer.body)
            while len(self._answers) > self.count or self._bytes > self.max_bytes:
                self._bytes -= len(self._answers.popitem(last=False)[1].body)

    def get(self, request_id: str) -> KeptAnswer | None:
        with self._lock:
            return self._answers.get(request_id)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._bytes = 0

    reset = clear
