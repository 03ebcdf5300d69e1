"""The Python face of the control plane: what ``MockServer`` and the in-process transports offer.

The same operations as ``/_mock/`` over HTTP, called directly on the app's ``Runtime`` (so no
request is needed and nothing shows up in the journal): ``requests`` (a ``CallList``),
``fail(...)`` to queue a fault, ``faults``, ``clear_faults()``, ``stub(...)``, ``stubs``, ``rate_limit(...)``,
``replace_models(...)`` and ``reset()``. ``fail`` builds the same JSON the control plane takes and
checks it the same way, so both routes accept and refuse the same faults.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mock_server.faults.fault import Fault
from mock_server.faults.ratelimit import RateLimit
from mock_server.generation.library import ModelLibrary
from mock_server.journal.calls import CallList
from mock_server.runtime import Runtime
from mock_server.sessions import Session
from mock_server.stubs.book import DEFAULT_PRIORITY


class MockControls:
    """Mixin: subclasses provide ``runtime`` (the ``Runtime`` of the app they run)."""

    #: The session these controls act on (``None``: the default session).
    session_name: str | None = None

    @property
    def runtime(self) -> Runtime:
        raise NotImplementedError

    @property
    def _state(self) -> Session:
        return self.runtime.session(self.session_name)

    def session(self, name: str, *, api_keys: Sequence[str] = (), latency: str | None = None) -> SessionControls:
        """Open session ``name``: its own journal, faults, stubs and rate limit. Requests join it with
        ``X-Mock-Session: name`` (in the returned controls' ``headers``) or with one of ``api_keys``;
        ``latency`` (``"model"``, ``"2"``, ``"1-3"``) is its answers' latency. ``with`` closes it.
        Named again with neither, an open session is left as it is."""
        sessions = self.runtime.sessions
        if api_keys or latency is not None or name not in sessions.names():
            sessions.open(name, api_keys=api_keys, latency=latency)
        return SessionControls(self, name, api_key=api_keys[0] if api_keys else None)

    @property
    def requests(self) -> CallList:
        """Every recorded request to the public API, oldest first (``.last``, ``.call_count``, ``.filter``,
        ``.to_har()``)."""
        return CallList(self._state.journal.calls(), answers=self.runtime.answers.get)

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
            "status": status,
            "error": error,
            "fault": fault,
            "retryAfter": retry_after,
            "times": times,
            "probability": probability,
            "seed": seed,
            "fixedDelayMilliseconds": None if delay is None else delay * 1000,
            "delayDistribution": None
            if delay_range is None
            else {"type": "uniform", "lower": delay_range[0] * 1000, "upper": delay_range[1] * 1000},
            "chunkedDribbleDelay": None
            if dribble is None
            else {"numberOfChunks": dribble[0], "totalDuration": dribble[1] * 1000},
            "match": {"model": model, "mode": mode, "headers": dict(headers or {})},
        }
        document = {key: value for key, value in document.items() if value is not None or key == "times"}
        entry = self._state.faults.add(Fault.from_json(document))
        return str(entry["id"])

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The queued faults with their counts (``remaining``, ``applied``)."""
        return self._state.faults.entries()

    def clear_faults(self) -> None:
        self._state.faults.clear()

    def stub(
        self,
        *,
        image: bytes | os.PathLike[str] | str | None = None,
        status: int | None = None,
        error: str | None = None,
        fault: str | Mapping[str, Any] | None = None,
        retry_after: int | None = None,
        model: str | None = None,
        mode: str | None = None,
        prompt: str | None = None,
        prompt_matches: str | None = None,
        seed: int | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        priority: int = DEFAULT_PRIORITY,
        times: int | None = None,
        name: str | None = None,
    ) -> str:
        """Answer the matching requests with a picture, an error or a fault; the stub's id (``"s1"``).

        Parameters:
            image: the picture: bytes, a path (read now), or a ``str`` naming a file in the stubs
                directory (``--stubs-dir``). Fitted to each request's size and format.
            status, error, retry_after: or answer this contract error; ``fault``: or this fault (a
                name such as ``"CONNECTION_RESET_BY_PEER"``, or a fault document).
            model, mode, prompt, seed: match these exactly; ``prompt_matches``: a regular expression
                found in the prompt; ``params``: any other parameters; ``headers``: request headers.
            priority: lower is tried first (default 5); ``times``: requests it answers (``None``: all).
        """
        match: dict[str, Any] = {
            "model": model,
            "mode": mode,
            "seed": seed,
            "prompt": {"matches": prompt_matches} if prompt_matches is not None else prompt,
        }
        match = {key: value for key, value in match.items() if value is not None}
        if params:
            match["params"] = dict(params)
        if headers:
            match["headers"] = dict(headers)
        document: dict[str, Any] = {
            "match": match,
            "priority": priority,
            "times": times,
            "name": name,
            "status": status,
            "error": error,
            "retryAfter": retry_after,
            "fault": fault,
        }
        if isinstance(image, str):
            document["image"] = image
        elif image is not None:
            data = image if isinstance(image, bytes) else Path(image).read_bytes()
            document["image_base64"] = base64.b64encode(data).decode("ascii")
        entry = self._state.stubs.add({key: value for key, value in document.items() if value is not None})
        return str(entry["id"])

    @property
    def stubs(self) -> list[dict[str, Any]]:
        """The stubs in the order they are tried, with their counts (``remaining``, ``applied``)."""
        return self._state.stubs.entries()

    def remove_stub(self, stub_id: str) -> bool:
        return self._state.stubs.remove(stub_id)

    def clear_stubs(self) -> None:
        """Remove every stub (those of the stubs directory too, until the next ``reset()``)."""
        self._state.stubs.clear()

    def rate_limit(self, limit: int | None, window_seconds: float = 60.0) -> None:
        """Allow ``limit`` requests per key per window (then 429 with ``Retry-After``); ``None`` turns it off."""
        self._state.rate_limiter.configure(None if limit is None else RateLimit(limit, window_seconds))

    @property
    def models(self) -> ModelLibrary:
        return self.runtime.library

    def replace_models(self, document: Any) -> ModelLibrary:
        """Serve this model library instead (the library file's shape, or ``GET /_mock/models``'s)."""
        return self.runtime.library_store.replace(document)

    def reset(self) -> None:
        """Forget requests, faults, stubs, rate-limit counts and thumbnails; restore the model library,
        seeds and stubs directory. The server's controls close every session too (it is this
        process's server); a session's controls reset that session only."""
        if self.session_name is not None:
            self._state.reset()
            return
        self.runtime.reset()
        self.runtime.sessions.reset()


class SessionControls(MockControls):
    """The controls of one session of a server (``MockControls.session``): the same API, acting on
    the session's journal, faults, stubs and rate limit; ``headers`` join requests to it."""

    def __init__(self, server: MockControls, name: str, *, api_key: str | None = None) -> None:
        self.server, self.session_name, self._api_key = server, name, api_key

    @property
    def runtime(self) -> Runtime:
        return self.server.runtime

    @property
    def url(self) -> str:
        """The server's URL (``""`` for an in-process transport, which has none)."""
        return str(getattr(self.server, "url", ""))

    @property
    def api_key(self) -> str:
        """The first API key bound to the session, else the server's first ("" with authentication off)."""
        keys = self.runtime.settings.api_keys
        return self._api_key or (keys[0] if keys else "")

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` with ``api_key``, and ``X-Mock-Session``."""
        auth = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return {**auth, "X-Mock-Session": str(self.session_name)}

    def close(self) -> None:
        """Reset the session and forget it."""
        self.runtime.sessions.close(str(self.session_name))

    def __enter__(self) -> SessionControls:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
