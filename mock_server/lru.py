"""One bounded, thread-safe least-recently-used map: every in-process cache of the mock is one.

Bounded twice: at most ``size`` entries and, when ``cost`` is given, at most ``max_bytes`` of
``cost(value)`` in all. A value that alone costs more than ``max_bytes`` is not kept. Lookups and
insertions each take the lock once; making a missing value happens outside it, so two threads may
make the same value, and the second insertion only refreshes the entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, size: int, *, max_bytes: int | None = None, cost: Callable[[V], int] | None = None) -> None:
        if (max_bytes is None) != (cost is None):
            raise ValueError("max_bytes and cost go together")
        self.size = size
        self.max_bytes = max_bytes
        self._cost = cost
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recent), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` as the most recent, dropping the least recent entries over either bound."""
        cost = 0 if self._cost is None else self._cost(value)
        if self.size <= 0 or (self.max_bytes is not None and cost > self.max_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, cost)
            self._bytes += cost
            while len(self._entries) > self.size or (self.max_bytes is not None and self._bytes > self.max_bytes):
                self._bytes -= self._entries.popitem(last=False)[1][1]

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make`` (outside the lock) and kept if it was missing."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def __contains__(self, key: K) -> bool:
        """Whether ``key`` is kept, without making it more recent."""
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """The summed cost of the values kept (0 without ``cost``)."""
        return self._bytes

    def keys(self) -> list[K]:
        """The keys kept, least recent first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
