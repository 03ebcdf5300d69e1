"""The single source of randomness: seeds for requests without one, and request ids.

Seeds come from one ``random.Random`` that a test can seed (``Settings.random_seed``) for
reproducible runs; request ids are always unique (they must not repeat across workers).
"""

from __future__ import annotations

import random
import threading
import uuid

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


def new_request_id() -> str:
    return "gen_" + uuid.uuid4().hex
