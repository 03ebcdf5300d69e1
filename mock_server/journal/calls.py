"""The request journal: one ``Call`` per request to the public API, newest last, bounded.

respx's vocabulary: a ``CallList`` with ``last``, ``call_count`` and ``filter``. A ``Call`` holds
what a test wants to assert on (method, path, parsed parameters, file parts as hashes, headers
with the key redacted, status, request id, timing, the fault applied) and never image bytes, so
a long run costs a bounded, small amount of memory. No HTTP here: the recording middleware
builds the record, ``Journal`` stores it in a ``StateStore``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, overload

import orjson

from mock_server import surrogates
from mock_server.journal import har
from mock_server.journal.har import Lookup
from mock_server.state.store import StateStore

LOG = "journal"
#: A record longer than this (as JSON) has its texts cut further, so the journal's memory is at most
#: about ``limit * MAX_RECORD_CHARS`` whatever the requests carried.
MAX_RECORD_CHARS = 16 * 1024
_SHORT_TEXT = 200


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file part of a request, by hash: the bytes themselves are never kept."""

    field: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Call:
    """One request to the public API and what came of it."""

    seq: int
    request_id: str
    time: float
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[FilePart, ...] = ()
    model: str | None = None
    mode: str | None = None
    #: ``None`` when no response was sent (an injected connection reset or empty response).
    status: int | None = None
    duration_ms: float = 0.0
    content_type: str | None = None
    response_size: int = 0
    error_code: str | None = None
    image_sha256: str | None = None
    #: The fault applied, as ``{"id", "kind", "description"}``; ``None`` for a normal answer.
    fault: Mapping[str, Any] | None = None
    #: Spec violations seen by the validation proxy, as ``{"where", "message"}``.
    violations: tuple[Mapping[str, str], ...] = ()
    #: ``mock`` (synthetic), ``replay`` (from a cassette) or ``proxy`` (forwarded upstream).
    source: str = "mock"
    #: The stub that answered, as ``{"id", "name", "kind", "description"}``; ``None`` for no stub.
    stub: Mapping[str, Any] | None = None
    #: The session the request belonged to; ``None`` for the default session.
    session: str | None = None
    #: True while a delayed request is still being answered; its record is completed in place (same
    #: ``seq``) once it is answered, or abandoned by its client.
    pending: bool = False

    @classmethod
    def from_json(cls, seq: int, document: Mapping[str, Any]) -> Call:
        known = {f.name for f in fields(cls)} - {"seq", "files", "violations"}
        values = {name: document[name] for name in known if name in document}
        files = tuple(FilePart(**part) for part in document.get("files", ()))
        return cls(seq=seq, files=files, violations=tuple(document.get("violations", ())), **values)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["headers"] = dict(self.headers)
        document["params"] = dict(self.params)
        document["files"] = list(document["files"])
        document["violations"] = [dict(v) for v in self.violations]
        return document

    def matches(self, criteria: Mapping[str, Any]) -> bool:
        """True if every criterion equals the call's field of that name, or else its parameter."""
        return all(_value(self, name) == wanted for name, wanted in criteria.items())


def _value(call: Call, name: str) -> Any:
    if name in Call.__dataclass_fields__:
        return getattr(call, name)
    return call.params.get(name)


class CallList(Sequence[Call]):
    """Recorded calls, oldest first, as respx's ``CallList``: ``last``, ``call_count``, ``filter``."""

    def __init__(self, calls: Sequence[Call] = (), *, answers: Lookup | None = None) -> None:
        self._calls = tuple(calls)
        self._answers = answers

    @overload
    def __getitem__(self, index: int) -> Call: ...

    @overload
    def __getitem__(self, index: slice) -> CallList: ...

    def __getitem__(self, index: int | slice) -> Call | CallList:
        if isinstance(index, slice):
            return CallList(self._calls[index], answers=self._answers)
        return self._calls[index]

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls)

    def __repr__(self) -> str:
        return f"<CallList {len(self)} calls>"

    @property
    def called(self) -> bool:
        return bool(self._calls)

    @property
    def call_count(self) -> int:
        return len(self._calls)

    @property
    def last(self) -> Call:
        """The newest call; ``IndexError`` if there is none (as respx)."""
        if not self._calls:
            raise IndexError("no calls recorded")
        return self._calls[-1]

    def filter(self, predicate: Callable[[Call], bool] | None = None, /, **criteria: Any) -> CallList:
        """Calls whose fields (``status``, ``path``, ``model``…) or parameters (``seed``…) equal ``criteria``."""
        chosen = [c for c in self._calls if c.matches(criteria) and (predicate is None or predicate(c))]
        return CallList(chosen, answers=self._answers)

    def to_har(self, *, bodies: bool = False, max_inline_bytes: int = har.MAX_INLINE_BYTES) -> dict[str, Any]:
        """These calls as a HAR 1.2 document (``json.dump`` it to a ``.har`` file); ``bodies`` inlines
        the answers the server still keeps whole (``Settings.har_bodies``), up to ``max_inline_bytes``."""
        return har.to_har(
            [call.to_json() for call in self],
            answers=self._answers,
            bodies=bodies,
            max_inline_bytes=max_inline_bytes,
            creator_version=har.package_version(),
        )


def _compact(document: Mapping[str, Any]) -> str:
    """The record as compact JSON, by orjson: every request is recorded, and json.dumps made that a
    large share of a repeated request's time (``benchmarks/notes.md``). The standard library
    still takes what orjson refuses: integers beyond 64 bits, other types; a lone surrogate becomes
    U+FFFD, so that the record can be sent as it is read back."""
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return json.dumps(surrogates.scrub(document), separators=(",", ":"), default=str)


def _loaded(text: str) -> Any:
    """A stored record, readable whoever wrote it: an unpaired surrogate (only possible as a ``\\u``
    escape, which orjson never writes for one) is replaced, so the journal can always be answered."""
    document = json.loads(text)
    return surrogates.scrub(document) if "\\u" in text and surrogates.holds_one(document) else document


def _shortened(document: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every parameter and header cut short, and at most 32 of each."""

    def cut(values: Mapping[str, Any]) -> dict[str, Any]:
        items = list(values.items())[:32]
        return {str(k)[:_SHORT_TEXT]: v[:_SHORT_TEXT] if isinstance(v, str) else v for k, v in items}

    files = list(document.get("files", ()))[:32]
    return {
        **document,
        "params": cut(document.get("params", {})),
        "headers": cut(document.get("headers", {})),
        "files": files,
        "violations": list(document.get("violations", ()))[:32],
    }


def _bounded(document: Mapping[str, Any]) -> str:
    text = _compact(document)
    return _compact(_shortened(document)) if len(text) > MAX_RECORD_CHARS else text


class Journal:
    """The bounded journal over a ``StateStore``: the oldest calls are dropped past ``limit``."""

    def __init__(self, store: StateStore, limit: int, *, log: str = LOG) -> None:
        self._store = store
        self.limit = limit
        self._log = log  #: one journal per session

    def record(self, document: Mapping[str, Any]) -> int:
        """Store a call (``Call.to_json`` without ``seq``); its sequence number."""
        return self._store.append(self._log, str(document.get("request_id", "")), _bounded(document), self.limit)

    def complete(self, seq: int, document: Mapping[str, Any]) -> None:
        """Replace the pending record ``seq`` with the finished call (dropped meanwhile: nothing)."""
        self._store.amend(self._log, seq, str(document.get("request_id", "")), _bounded(document))

    def calls(self, *, since: int = 0, limit: int | None = None) -> CallList:
        return CallList([Call.from_json(seq, _loaded(text)) for seq, text in self._entries(since, limit)])

    def documents(self, *, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The calls as JSON documents (with ``seq``), for the control plane."""
        return [{"seq": seq, **_loaded(text)} for seq, text in self._entries(since, limit)]

    def clear(self) -> None:
        self._store.clear(self._log)

    reset = clear

    def _entries(self, since: int, limit: int | None) -> list[tuple[int, str]]:
        bound = self.limit if limit is None else min(limit, self.limit)
        return self._store.entries(self._log, since=since, limit=bound)
