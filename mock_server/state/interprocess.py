"""Two small primitives that the worker processes of one server share through files.

* ``WriterTurn``: an exclusive ``flock`` on a lock file, taken around every shared write. A kernel
  lock wakes the waiter as soon as the holder is done, where SQLite's busy handler would sleep
  1, 2, 5… milliseconds and retry, stalling a worker's whole event loop.
* ``SharedCounters``: 64-bit counters in a file that every process maps into memory, so reading
  one makes no system call. Only holders of the writers' turn change them.
"""

from __future__ import annotations

import fcntl
import mmap
import os
from pathlib import Path
from types import TracebackType

_SLOT = 8


class WriterTurn:
    """An exclusive ``flock`` on ``path`` while inside ``with``.

    A ``flock`` belongs to the open file, not to a thread: callers also hold a thread lock, so
    only one thread of a process is ever inside."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


class SharedCounters:
    """``slots`` 64-bit counters (all zero at first) in a file mapped into memory."""

    def __init__(self, path: Path, slots: int = 1) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _SLOT * slots:
                os.ftruncate(fd, _SLOT * slots)  # zeros, as for every process that gets here first
            self._map = mmap.mmap(fd, _SLOT * slots)
        finally:
            os.close(fd)  # the mapping keeps its own reference

    def value(self, slot: int = 0) -> int:
        return int.from_bytes(self._map[_SLOT * slot : _SLOT * (slot + 1)], "little")

    def set(self, value: int, slot: int = 0) -> None:
        self._map[_SLOT * slot : _SLOT * (slot + 1)] = value.to_bytes(_SLOT, "little")

    def bump(self, slot: int = 0) -> int:
        value = self.value(slot) + 1
        self.set(value, slot)
        return value

    def close(self) -> None:
        self._map.close()
