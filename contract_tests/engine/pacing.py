"""Waiting out a target that asks for it (429 or 503 with ``Retry-After``), within ``--max-wait``.

The run has one allowance of waiting time for all its checks. Waits are charged by wall time, not
per request: when several requests in flight are told to wait the same few seconds, the run
waits those seconds once. A wait that would exceed what is left is not made: the request's check
is "not run: rate limited".
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable

import pytest

#: Wait when a 429 gives no (usable) Retry-After: the contract requires the header, and the
#: error_shape rule reports its absence; the suite still backs off rather than hammering.
DEFAULT_WAIT = 1.0
#: Retries of one request before its check is "not run: rate limited", however short the waits.
MAX_RETRIES = 8


class NotRun(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The run could not get to a check (the target went away, or kept refusing): not a verdict.

    A pytest skip, so that Hypothesis and Schemathesis let it through untouched; the plugin
    records it as "not run" with the reason, and the run is incomplete.
    """

    def __init__(self, message: str) -> None:
        super().__init__(msg=message)


class RateLimited(NotRun):
    """The target kept answering 429/503 beyond the run's ``--max-wait`` (or ``MAX_RETRIES``)."""


class TargetUnreachable(NotRun):
    """The target stopped accepting connections (several consecutive connect failures)."""


def retry_after(status: int, header: str | None) -> float | None:
    """Seconds to wait before sending again, or ``None`` when this answer is not a request to wait."""
    if status not in (429, 503):
        return None
    if header is None:
        return DEFAULT_WAIT if status == 429 else None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_WAIT if status == 429 else None
    return max(0.0, when.timestamp() - time.time())


class Pacing:
    """The run's allowance of waiting time (``max_wait`` seconds), shared by every thread."""

    def __init__(self, max_wait: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.max_wait = max_wait
        self.waited = 0.0
        self._sleep = sleep
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds`` (charged to the allowance by wall time) or raise ``RateLimited``."""
        with self._lock:
            now = time.monotonic()
            until = now + seconds
            extra = max(0.0, until - max(now, self._paused_until))
            if self.waited + extra > self.max_wait:
                raise RateLimited(
                    f"rate limited: {why} asked to wait {seconds:g} s, beyond what is left of "
                    f"--max-wait {self.max_wait:g} s ({self.waited:.0f} s already waited)"
                )
            self.waited += extra
            self._paused_until = max(self._paused_until, until)
        self._sleep(seconds)
