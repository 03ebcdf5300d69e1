"""Bodies seen before: a JSON body sent again skips parsing, summarising, validation and planning.

A client's test suite, or a load test, sends the same few bodies again and again. What the
server derives from a body before it generates (the parsed request, its journal summary and the
plan) is a pure function of the body's bytes and of the model library in force, so it is kept
for the most recent JSON bodies and reused when the same bytes come again under the same library.
A plan is kept only once made: a body that fails validation is judged afresh every time.
Multipart bodies are not kept: they carry files, and their bytes differ with the boundary.
No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mock_server.datatypes import RawRequest
from mock_server.generation.library import ModelLibrary
from mock_server.generation.rules import Plan
from mock_server.journal.summary import RequestSummary, summarize
from mock_server.lru import LRU


@dataclass(slots=True)
class Prepared:
    """A parsed body and what follows from it alone."""

    raw: RawRequest
    summary: RequestSummary
    #: The plan once made, with the library it was made under (a new library means a new plan).
    _plan: tuple[ModelLibrary, Plan] | None = None

    @classmethod
    def of(cls, raw: RawRequest) -> Prepared:
        return cls(raw, summarize(raw))

    def plan(self, library: ModelLibrary, make: Callable[[], Plan]) -> Plan:
        """The plan under ``library``: ``make()`` the first time (it raises for an invalid body)."""
        kept = self._plan
        if kept is not None and kept[0] is library:
            return kept[1]
        plan = make()
        self._plan = (library, plan)
        return plan


class BodyCache:
    """The ``size`` most recent JSON bodies of at most ``max_body`` bytes, prepared (thread-safe)."""

    def __init__(self, size: int = 128, max_body: int = 64 * 1024) -> None:
        self.size = size
        self.max_body = max_body
        self._entries: LRU[bytes, Prepared] = LRU(size)

    def prepare(self, body: bytes, parse: Callable[[bytes], RawRequest]) -> Prepared:
        """The prepared body, parsing it with ``parse`` (which raises for a bad body) if it is new."""
        found = self._entries.get(body)
        if found is not None:
            return found
        prepared = Prepared.of(parse(body))
        if len(body) <= self.max_body:
            self._entries.put(body, prepared)
        return prepared
