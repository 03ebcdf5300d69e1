"""A simple rate limiter: at most N requests per window per key, shared by every worker.

Fixed windows: a key's window opens with its first request and lasts ``window_seconds``;
past ``limit`` requests in it, a request is refused with the seconds until the window closes
(the ``Retry-After`` of the 429). Refused requests are not counted. Off unless configured (by
``Settings.rate_limit`` or the control plane). No HTTP here.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_server.state.store import StateStore, load_document

DOC = "rate_limit"
#: Keys remembered at most (the oldest windows are forgotten first), so many keys cannot grow memory.
MAX_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    window_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or not 0 < self.window_seconds <= 86_400:
            raise ValueError("a rate limit needs limit >= 1 and 0 < window_seconds <= 86400")

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "window_seconds": self.window_seconds}


class RateLimiter:
    """Parameters: ``store``; ``default`` (the limit after a reset, ``None`` for off); ``clock``."""

    def __init__(self, store: StateStore, default: RateLimit | None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._default = default
        self._clock = clock

    def config(self) -> RateLimit | None:
        state = load_document(self._store.read(DOC))
        if "config" not in state:
            return self._default
        return None if state["config"] is None else RateLimit(**state["config"])

    def configure(self, limit: RateLimit | None) -> None:
        """Switch the limiter on with ``limit`` (counting afresh), or off with ``None``."""
        config = None if limit is None else limit.to_json()
        self._store.update(DOC, lambda _: (json.dumps({"config": config, "windows": {}}), None))

    def hit(self, key: str | Callable[[], str]) -> int | None:
        """Count a request for ``key``; ``None`` if allowed, else the seconds to wait before retrying.
        A callable ``key`` is called only while a limit is on (working a key out costs a hash)."""
        limit = self.config()
        if limit is None:
            return None
        counted = key if isinstance(key, str) else key()
        return self._store.update(DOC, lambda text: self._count(load_document(text), limit, counted))

    def reset(self) -> None:
        """Counters forgotten, and the limit back to the configured default."""
        self._store.update(DOC, lambda _: (None, None))

    def _count(self, state: dict[str, Any], limit: RateLimit, key: str) -> tuple[str, int | None]:
        now = self._clock()
        windows = {k: w for k, w in state.get("windows", {}).items() if now < w[0] + limit.window_seconds}
        start, count = windows.get(key, (now, 0))
        retry: int | None = None
        if count >= limit.limit:
            retry = max(1, math.ceil(start + limit.window_seconds - now))
        else:
            windows[key] = [start, count + 1]
        if len(windows) > MAX_KEYS:
            windows = dict(sorted(windows.items(), key=lambda item: item[1][0])[-MAX_KEYS:])
        state["windows"] = windows
        return json.dumps(state, separators=(",", ":")), retry

