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

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from mock_server.datatypes import RawRequest
from mock_server.generation.library import Catalog
from mock_server.generation.rules import Plan
from mock_server.journal.summary import RequestSummary, summarize


@dataclass(slots=True)
class Prepared:
    """A parsed body and what follows from it alone."""

    raw: RawRequest
    summary: RequestSummary
    #: The plan once made, with the library it was made under (a new library means a new plan).
    _plan: tuple[Catalog, Plan] | None = None

    @classmethod
    def of(cls, raw: RawRequest) -> Prepared:
        return cls(raw, summarize(raw))

    def plan(self, catalog: Catalog, make: Callable[[], Plan]) -> Plan:
        """The plan under ``catalog``: ``make()`` the first time (it raises for an invalid body)."""
        kept = self._plan
        if kept is not None and kept[0] is catalog:
            return kept[1]
        plan = make()
        self._plan = (catalog, plan)
        return plan


class PreparedBodies:
    """The ``size`` most recent JSON bodies of at most ``max_body`` bytes, prepared (thread-safe)."""

    def __init__(self, size: int = 128, max_body: int = 64 * 1024) -> None:
        self.size = size
        self.max_body = max_body
        self._entries: OrderedDict[bytes, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def prepare(self, body: bytes, parse: Callable[[bytes], RawRequest]) -> Prepared:
        """The prepared body, parsing it with ``parse`` (which raises for a bad body) if it is new."""
        with self._lock:
            found = self._entries.get(body)
            if found is not None:
                self._entries.move_to_end(body)
                return found
        prepared = Prepared.of(parse(body))
        if self.size > 0 and len(body) <= self.max_body:
            with self._lock:
                self._entries[body] = prepared
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return prepared
