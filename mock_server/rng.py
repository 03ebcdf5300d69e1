"""The single source of randomness: seeds for requests without one, and request ids.

Seeds come from one ``random.Random`` that a test can seed (``Settings.random_seed``) for
reproducible runs; request ids are always unique (they must not repeat across workers).
"""

from __future__ import annotations

import os
import random
import threading

MAX_SEED = 2**32 - 1


class SeedSource:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def next_seed(self) -> int:
        with self._lock:
            return self._random.randint(0, MAX_SEED)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random.seed(seed)


class _IdSource:
    """128 random bits per id from a generator seeded by the OS once per process.

    ``uuid4`` asks the OS for every id (a ``getrandom`` call that also gives up the GIL, and a
    background thread may keep it for a while); ids need to be unique, not secret. Seeded afresh
    in a forked child (``os.register_at_fork``), so two processes never share a sequence."""

    def __init__(self) -> None:
        self._random = random.Random()
        self.reseed()
        self._bits = self._random.getrandbits

    def reseed(self) -> None:
        self._random.seed(os.urandom(32))

    def next_id(self) -> str:
        return f"gen_{self._bits(128):032x}"


_ids = _IdSource()
os.register_at_fork(after_in_child=_ids.reseed)


def new_request_id() -> str:
    return _ids.next_id()
