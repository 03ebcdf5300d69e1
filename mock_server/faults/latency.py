"""Realistic latency: how long an answer takes, as the live API would take it (no HTTP here).

The live API takes seconds per image; the mock answers in milliseconds. A ``Latency`` says how
long a generated answer should take from the request's arrival:

* ``model``: the answer's own ``processing_time_seconds`` (derived from the model, size and
  steps), times ``scale`` (``--latency-scale``: 0.1 makes a 2 s image take 0.2 s);
* a number of seconds (``2``, ``0.25``, ``500ms``);
* a range ``LOW-HIGH`` (``1-3``, ``200ms-1.5s``): a uniform draw per request;
* ``off`` (or ``0``): no wait.

The server waits only for what is left once the image is made (``remaining``), asynchronously,
so a waiting request holds no thread. Errors are answered at once: the live API refuses a bad
request before generating anything.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

HEADER = "x-mock-latency"
#: No answer waits longer than this, whatever was asked (a typo must not hang a test for an hour).
MAX_SECONDS = 600.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)?\s*$")


class LatencyError(ValueError):
    """A latency that cannot be used."""


@dataclass(frozen=True, slots=True)
class Latency:
    """``kind`` is ``model``, ``fixed`` or ``range``; ``low``/``high`` in seconds; ``scale`` for ``model``."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    scale: float = 1.0

    @classmethod
    def parse(cls, text: str, scale: float = 1.0) -> Latency | None:
        """``model``, ``2``, ``500ms``, ``1-3``, ``200ms-1.5s``; ``off``, ``0`` and ``""`` mean none."""
        value = text.strip().lower()
        if not 0 <= scale <= 100:
            raise LatencyError("the latency scale must be between 0 and 100")
        if value in ("", "off", "none", "0"):
            return None
        if value == "model":
            return cls("model", scale=scale)
        low_text, dash, high_text = value.partition("-")
        low = _seconds(low_text)
        if not dash:
            return cls("fixed", low, low)
        high = _seconds(high_text)
        if low > high:
            raise LatencyError(f"latency range {text!r}: the low end exceeds the high end")
        return cls("range", low, high)

    def seconds(self, processing_time_seconds: float, rng: random.Random | None = None) -> float:
        """How long an answer with this ``processing_time_seconds`` should take in all."""
        if self.kind == "model":
            wanted = processing_time_seconds * self.scale
        elif self.kind == "range":
            wanted = (rng or random).uniform(self.low, self.high)
        else:
            wanted = self.low
        return min(max(wanted, 0.0), MAX_SECONDS)

    def describe(self) -> str:
        if self.kind == "model":
            return "model" if self.scale == 1 else f"model x{self.scale:g}"
        return f"{self.low:g} s" if self.kind == "fixed" else f"{self.low:g}-{self.high:g} s"


def remaining(total_seconds: float, elapsed_seconds: float) -> float:
    """What is left to wait once ``elapsed_seconds`` have gone by."""
    return max(total_seconds - elapsed_seconds, 0.0)


def _seconds(text: str) -> float:
    found = _DURATION.match(text)
    if found is None:
        raise LatencyError(f"{text.strip()!r} is not a latency: use model, seconds (2, 0.5, 500ms) or a range (1-3)")
    value = float(found.group(1)) / (1000 if found.group(2) == "ms" else 1)
    if value > MAX_SECONDS:
        raise LatencyError(f"a latency is at most {MAX_SECONDS:g} s")
    return value
