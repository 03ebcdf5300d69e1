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

    @classmethod
    def from_json(cls, seq: int, document: Mapping[str, Any]) -> Call:
        known = {f.name for f in fields(cls)} - {"seq", "files", "violations"}
        values = {name: document[name] for name in known if name in document}
        files = tuple(FilePart(**part) for part in document.get("files", ()))
        return cls(seq=seq, files=files, violations=tuple(document.get("violations", ())), **values)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["headers"], document["params"] = dict(self.headers), dict(self.params)
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

    def __init__(self, calls: Sequence[Call] = ()) -> None:
        self._calls = tuple(calls)

    @overload
    def __getitem__(self, index: int) -> Call: ...

    @overload
    def __getitem__(self, index: slice) -> CallList: ...

    def __getitem__(self, index: int | slice) -> Call | CallList:
        if isinstance(index, slice):
            return CallList(self._calls[index])
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
        return CallList([c for c in self._calls if c.matches(criteria) and (predicate is None or predicate(c))])


def _compact(document: Mapping[str, Any]) -> str:
    """The record as compact JSON. orjson writes one in about a microsecond, json.dumps in ten (with
    every request recorded, that was a tenth of a repeated request's time); the standard library
    still takes what orjson refuses: integers beyond 64 bits, lone surrogates, other types."""
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return json.dumps(document, separators=(",", ":"), default=str)


def _shortened(document: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every parameter and header cut short, and at most 32 of each."""
    def cut(values: Mapping[str, Any]) -> dict[str, Any]:
        items = list(values.items())[:32]
        return {str(k)[:_SHORT_TEXT]: v[:_SHORT_TEXT] if isinstance(v, str) else v for k, v in items}

    files = list(document.get("files", ()))[:32]
    return {**document, "params": cut(document.get("params", {})), "headers": cut(document.get("headers", {})),
            "files": files, "violations": list(document.get("violations", ()))[:32]}


class Journal:
    """The bounded journal over a ``StateStore``: the oldest calls are dropped past ``limit``."""

    def __init__(self, store: StateStore, limit: int) -> None:
        self._store = store
        self.limit = limit

    def record(self, document: Mapping[str, Any]) -> int:
        """Store a call (``Call.to_json`` without ``seq``); its sequence number."""
        text = _compact(document)
        if len(text) > MAX_RECORD_CHARS:
            text = _compact(_shortened(document))
        return self._store.append(LOG, str(document.get("request_id", "")), text, self.limit)

    def calls(self, *, since: int = 0, limit: int | None = None) -> CallList:
        return CallList([Call.from_json(seq, json.loads(text)) for seq, text in self._entries(since, limit)])

    def documents(self, *, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The calls as JSON documents (with ``seq``), for the control plane."""
        return [{"seq": seq, **json.loads(text)} for seq, text in self._entries(since, limit)]

    def clear(self) -> None:
        self._store.clear(LOG)

    reset = clear

    def _entries(self, since: int, limit: int | None) -> list[tuple[int, str]]:
        return self._store.entries(LOG, since=since, limit=self.limit if limit is None else min(limit, self.limit))
