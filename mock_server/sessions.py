"""Sessions: one mock shared by several test runs, each with state of its own (no HTTP here).

Two CI jobs that share one eigen-mock (a ``services:`` container, a dev box) would otherwise see
each other's journal, faults and rate limits. A request belongs to session ``NAME`` when it
carries ``X-Mock-Session: NAME``, or when its API key was bound to that session when it was
opened; otherwise to the default session, which is the mock as it always was. Each session has
its own journal (a log of its own, bounded by ``journal_size``), fault queue, stubs (starting
from the stubs directory's), rate-limit setting and counters, and latency. The model library,
thumbnails and seeds are the server's.

The registry of sessions is one ``StateStore`` document, so every worker knows them: a session
is registered on first use, or opened explicitly (to bind API keys or set a latency), and forgotten
when closed. At most ``MAX_SESSIONS`` exist at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mock_server.faults.latency import Latency, LatencyError
from mock_server.faults.queue import FaultQueue
from mock_server.faults.ratelimit import RateLimiter
from mock_server.journal.calls import Journal
from mock_server.state.store import StateStore, load_document
from mock_server.stubs.book import StubBook

HEADER = "x-mock-session"
DOC = "sessions"
MAX_SESSIONS = 100
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SessionError(ValueError):
    """A session name or setting that cannot be used."""


@dataclass(frozen=True, slots=True)
class Session:
    """The state of one session; ``name`` is ``None`` for the default session."""

    name: str | None
    journal: Journal
    faults: FaultQueue
    rate_limiter: RateLimiter
    stubs: StubBook

    def reset(self) -> None:
        """Its journal, faults, counters and stubs back to a fresh start."""
        for part in (self.journal, self.faults, self.rate_limiter, self.stubs):
            part.reset()


def scoped(name: str, session: str | None) -> str:
    """The store name of a session's log or document (``journal@ci-1``); the default's is ``name``."""
    return name if session is None else f"{name}@{session}"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise SessionError(
            f"session {name[:80]!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def key_digest(api_key: str) -> str:
    """How a bound API key is kept: never the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()


class Sessions:
    """The sessions of one server.

    Parameters:
        store: where the registry lives.
        default: the default session.
        make: builds the state of a named session (over the same store).
    """

    def __init__(self, store: StateStore, default: Session, make: Callable[[str], Session]) -> None:
        self._store, self.default, self._make = store, default, make
        self._made: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._read: tuple[str | None, dict[str, Any]] = (None, {})

    def get(self, name: str | None) -> Session:
        """The session ``name`` (registered on first use); the default for ``None``."""
        if name is None:
            return self.default
        check_name(name)
        if name not in self._registry():
            self._change(lambda sessions: _register(sessions, name, None))
        with self._lock:
            session = self._made.get(name)
            if session is None:
                session = self._made[name] = self._make(name)
            return session

    def open(self, name: str, *, api_keys: Iterable[str] = (), latency: str | None = None) -> dict[str, Any]:
        """Open (or change) session ``name``: requests with these API keys belong to it; ``latency``
        (``model``, ``2``, ``1-3``; ``None`` for the server's) is its answers' latency."""
        check_name(name)
        try:
            Latency.parse(latency or "")
        except LatencyError as exc:
            raise SessionError(str(exc)) from None
        digests = sorted({key_digest(key) for key in api_keys})
        taken = {
            digest: other
            for other, entry in self._registry().items()
            if other != name
            for digest in entry.get("keys", ())
        }
        if any(digest in taken for digest in digests):
            raise SessionError("an API key is bound to another session already")
        self._change(lambda sessions: _register(sessions, name, {"keys": digests, "latency": latency}))
        self.get(name)
        return self.describe(name)

    def close(self, name: str) -> bool:
        """Reset session ``name`` and forget it; False if there was none."""
        check_name(name)
        if name not in self._registry():
            return False
        self.get(name).reset()
        self._change(lambda sessions: sessions.pop(name, None))
        return True

    def names(self) -> list[str]:
        return sorted(self._registry())

    def describe(self, name: str) -> dict[str, Any]:
        entry = self._registry().get(name, {})
        return {"name": name, "api_keys": len(entry.get("keys", ())), "latency": entry.get("latency")}

    def keys_bound(self) -> bool:
        """Whether any session has API keys bound to it (no work per request while none has)."""
        return any(entry.get("keys") for entry in self._registry().values())

    def bound(self, api_key: str) -> str | None:
        """The session an API key was bound to, if any (one dictionary lookup while none are)."""
        registry = self._registry()
        if not registry:
            return None
        digest = key_digest(api_key)
        return next((name for name, entry in registry.items() if digest in entry.get("keys", ())), None)

    def latency(self, name: str | None) -> str | None:
        return None if name is None else self._registry().get(name, {}).get("latency")

    def reset(self) -> None:
        """Every session reset and forgotten (the default one is the runtime's to reset)."""
        for name in self.names():
            self.close(name)

    def _registry(self) -> dict[str, Any]:
        """The registry, parsed once per change (every request asks whether keys are bound)."""
        text, read = self._store.read(DOC), self._read
        if text == read[0]:
            return read[1]
        parsed = load_document(text)
        self._read = (text, parsed)  # one assignment: a reader sees the old pair or the new one
        return parsed

    def _change(self, change: Callable[[dict[str, Any]], object]) -> None:
        def updater(text: str | None) -> tuple[str | None, None]:
            sessions = load_document(text)
            change(sessions)
            return (json.dumps(sessions, separators=(",", ":")) if sessions else None), None

        self._store.update(DOC, updater)


def _register(sessions: dict[str, Any], name: str, settings: dict[str, Any] | None) -> None:
    if name not in sessions and len(sessions) >= MAX_SESSIONS:
        raise SessionError(f"at most {MAX_SESSIONS} sessions at once: close some (DELETE /_mock/sessions/NAME)")
    if settings is not None or name not in sessions:
        sessions[name] = settings or {}
