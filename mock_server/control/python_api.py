"""The Python face of the control plane: what ``MockServer`` and the in-process transports offer.

The same operations as ``/_mock/`` over HTTP, called directly on the app's ``Runtime`` (so no
request is needed and nothing shows up in the journal): ``requests`` (a ``CallList``),
``fail(...)`` to queue a fault, ``faults``, ``clear_faults()``, ``rate_limit(...)``,
``replace_models(...)`` and ``reset()``. ``fail`` builds the same JSON the control plane takes and
checks it the same way, so both routes accept and refuse the same faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.faults.fault import Fault
from mock_server.faults.ratelimit import RateLimit
from mock_server.generation.library import Catalog
from mock_server.journal.calls import CallList
from mock_server.runtime import Runtime


class MockControls:
    """Mixin: subclasses provide ``runtime`` (the ``Runtime`` of the app they run)."""

    @property
    def runtime(self) -> Runtime:
        raise NotImplementedError

    @property
    def requests(self) -> CallList:
        """Every recorded request to the public API, oldest first (``.last``, ``.call_count``, ``.filter``)."""
        return self.runtime.journal.calls()

    def fail(
        self,
        status: int | None = None,
        *,
        error: str | None = None,
        fault: str | None = None,
        delay: float | None = None,
        delay_range: tuple[float, float] | None = None,
        dribble: tuple[int, float] | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        probability: float | None = None,
        seed: int | None = None,
        model: str | None = None,
        mode: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Queue a fault for the next matching request(s); its id. Times are in seconds here.

        Parameters:
            status: answer this error status in the contract's shape (429, 500, 502, 503, 504, ...).
            error: or an error code (``"model_unavailable"``).
            fault: or a broken answer: ``"CONNECTION_RESET_BY_PEER"``, ``"EMPTY_RESPONSE"``,
                ``"RANDOM_DATA_THEN_CLOSE"``, ``"MALFORMED_RESPONSE_CHUNK"``, ``"TRUNCATED_BODY"``,
                ``"MALFORMED_JSON"``.
            delay: wait this many seconds first; ``delay_range=(low, high)`` draws it uniformly.
            dribble: ``(chunks, seconds)``: send the body in that many pieces over that long.
            retry_after: the ``Retry-After`` of a 429 or 503 (default 1).
            times: how many requests it applies to (``None``: all); ``probability`` and ``seed``
                make it apply to a reproducible random share of them.
            model, mode, headers: apply only to requests with these.
        """
        document: dict[str, Any] = {
            "status": status, "error": error, "fault": fault, "retryAfter": retry_after, "times": times,
            "probability": probability, "seed": seed,
            "fixedDelayMilliseconds": None if delay is None else delay * 1000,
            "delayDistribution": None if delay_range is None else {
                "type": "uniform", "lower": delay_range[0] * 1000, "upper": delay_range[1] * 1000},
            "chunkedDribbleDelay": None if dribble is None else {
                "numberOfChunks": dribble[0], "totalDuration": dribble[1] * 1000},
            "match": {"model": model, "mode": mode, "headers": dict(headers or {})},
        }
        document = {key: value for key, value in document.items() if value is not None or key == "times"}
        entry = self.runtime.faults.add(Fault.from_json(document))
        return str(entry["id"])

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The queued faults with their counts (``remaining``, ``applied``)."""
        return self.runtime.faults.entries()

    def clear_faults(self) -> None:
        self.runtime.faults.clear()

    def rate_limit(self, limit: int | None, window_seconds: float = 60.0) -> None:
        """Allow ``limit`` requests per key per window (then 429 with ``Retry-After``); ``None`` turns it off."""
        self.runtime.rate_limiter.configure(None if limit is None else RateLimit(limit, window_seconds))

    @property
    def models(self) -> Catalog:
        return self.runtime.catalog

    def replace_models(self, document: Any) -> Catalog:
        """Serve this model library instead (the library file's shape, or ``GET /_mock/models``'s)."""
        return self.runtime.models.replace(document)

    def reset(self) -> None:
        """Forget requests, faults, rate-limit counts and thumbnails; restore the model library and seeds."""
        self.runtime.reset()
