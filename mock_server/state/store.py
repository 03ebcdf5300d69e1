"""Where the mock keeps state a client can observe: the journal, faults, counters, the model library.

Two backends behind one small interface, ``StateStore``:

* ``MemoryStore``: a lock and a few dicts, for one process (the default, and ``MockServer``);
* ``SqliteStore`` (``sqlite_store.py``): files shared by every worker of
  ``eigen-mock serve --workers N``, so all workers show one journal, one fault queue, one rate
  limit and one model library.

The interface has two shapes of data. *Logs* are bounded, append-only sequences of text records
(the journal, the thumbnails): appending past the limit drops the oldest (SQLite does so every few
appends, so readers ask for at most the limit). *Documents* are single
JSON texts changed only by ``update``, an atomic read-modify-write (the fault queue, rate-limit
counters, the model library). Both backends store text, so both give back exactly the same values.
No HTTP here.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

#: A document updater: old text (``None`` if absent) → (new text, ``None`` to delete; a result).
Updater = Callable[[str | None], tuple[str | None, T]]


class StateStore(Protocol):
    def append(self, log: str, key: str, text: str, limit: int) -> int:
        """Add a record to ``log``; its sequence number. Records beyond the newest ``limit`` are
        dropped, possibly only some appends later: read with ``entries(limit=...)``."""

    def entries(self, log: str, *, since: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        """(sequence number, text) of records after ``since``, oldest first; the newest ``limit`` of them."""

    def find(self, log: str, key: str) -> str | None:
        """The newest record of ``log`` with ``key``."""

    def clear(self, log: str) -> None: ...

    def read(self, doc: str) -> str | None: ...

    def update(self, doc: str, updater: Updater[T]) -> T:
        """Apply ``updater`` to the document atomically (no other update interleaves)."""

    def reset(self) -> None:
        """Forget every log and document."""

    def close(self) -> None: ...


class MemoryStore:
    """``StateStore`` for one process: records are kept as text, as SQLite would keep them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: dict[str, deque[tuple[int, str, str]]] = {}
        self._docs: dict[str, str] = {}
        self._seq = 0

    def append(self, log: str, key: str, text: str, limit: int) -> int:
        with self._lock:
            self._seq += 1
            records = self._logs.setdefault(log, deque())
            records.append((self._seq, key, text))
            while len(records) > max(limit, 0):
                records.popleft()
            return self._seq

    def entries(self, log: str, *, since: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        with self._lock:
            found = [(seq, text) for seq, _, text in self._logs.get(log, ()) if seq > since]
        return found if limit is None else found[max(len(found) - limit, 0):]

    def find(self, log: str, key: str) -> str | None:
        with self._lock:
            for _, record_key, text in reversed(self._logs.get(log, ())):
                if record_key == key:
                    return text
        return None

    def clear(self, log: str) -> None:
        with self._lock:
            self._logs.pop(log, None)

    def read(self, doc: str) -> str | None:
        with self._lock:
            return self._docs.get(doc)

    def update(self, doc: str, updater: Updater[T]) -> T:
        with self._lock:
            new, result = updater(self._docs.get(doc))
            if new is None:
                self._docs.pop(doc, None)
            else:
                self._docs[doc] = new
            return result

    def reset(self) -> None:
        with self._lock:
            self._logs.clear()
            self._docs.clear()

    def close(self) -> None:
        """Nothing to release."""


def load_document(text: str | None) -> dict[str, Any]:
    """A stored JSON document as a dict (empty when absent)."""
    loaded: dict[str, Any] = json.loads(text) if text else {}
    return loaded
