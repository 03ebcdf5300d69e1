"""The queue of faults set through the control plane, shared by every worker (no HTTP here).

Faults are tried in the order they were added; the first whose ``match`` accepts the request
(and whose probability draw succeeds) is applied and counted, and leaves the queue when its
``times`` are used up. Draws are reproducible: the n-th draw of fault ``fK`` with seed ``s``
is always the same number, in any process, because it comes from ``Random(f"{s}:fK:{n}")``
rather than from a generator whose state would have to be shared.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mock_server.faults.fault import Fault, FaultSpecError, RequestFacts
from mock_server.state.store import StateStore, load_document

DOC = "faults"
#: Faults waiting at most; a client that queues more is told so (a bound on memory, and surely a bug).
MAX_QUEUED = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AppliedFault:
    """A fault chosen for one request, with its delay already drawn."""

    id: str
    fault: Fault
    delay_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.fault.kind, "description": self.fault.describe()}


def header_fault(fault: Fault) -> AppliedFault:
    """A fault from ``X-Mock-Fault``: applied to its own request, drawn from its seed alone."""
    return AppliedFault("header", fault, fault.delay_seconds(random.Random(f"{fault.seed or 0}:header")))


class FaultQueue:
    """Faults waiting for requests, over a ``StateStore`` document.

    Parameters:
        store: where the queue lives (shared by workers when it is a ``SqliteStore``).
        default_seed: the seed of faults that give a probability or a distribution but no seed.
    """

    def __init__(self, store: StateStore, default_seed: int | None = None) -> None:
        self._store = store
        self._default_seed = default_seed or 0

    def add(self, fault: Fault) -> dict[str, Any]:
        """Queue ``fault``; its entry (``id``, ``fault``, ``remaining``, ``applied``)."""

        def change(state: dict[str, Any]) -> dict[str, Any]:
            if len(state.get("faults", [])) >= MAX_QUEUED:
                raise FaultSpecError(f"the fault queue is full ({MAX_QUEUED} faults waiting)")
            state["next"] = state.get("next", 0) + 1
            entry = {"id": f"f{state['next']}", "fault": fault.to_json(), "remaining": fault.times,
                     "evaluations": 0, "applied": 0}
            state.setdefault("faults", []).append(entry)
            return entry

        return self._change(change)

    def entries(self) -> list[dict[str, Any]]:
        return list(load_document(self._store.read(DOC)).get("faults", []))

    def remove(self, fault_id: str) -> bool:
        def change(state: dict[str, Any]) -> bool:
            before = state.get("faults", [])
            state["faults"] = [entry for entry in before if entry["id"] != fault_id]
            return len(state["faults"]) != len(before)

        return self._change(change)

    def clear(self) -> None:
        """Forget every fault; ids start again at ``f1`` (so seeded draws repeat run after run)."""
        self._store.update(DOC, lambda _: (None, None))

    reset = clear

    def take(self, facts: RequestFacts) -> AppliedFault | None:
        """The fault for a request with ``facts``, counted; ``None`` if no fault applies."""
        if not self.entries():  # the common case: a read, no write transaction
            return None
        return self._change(lambda state: self._select(state, facts))

    def _select(self, state: dict[str, Any], facts: RequestFacts) -> AppliedFault | None:
        for entry in state.get("faults", []):
            fault = Fault.from_json(entry["fault"])
            if not fault.match.accepts(facts) or not self._draw_succeeds(entry, fault):
                continue
            entry["applied"] += 1
            if entry["remaining"] is not None:
                entry["remaining"] -= 1
            state["faults"] = [e for e in state["faults"] if e["remaining"] is None or e["remaining"] > 0]
            rng = self._rng(fault, entry["id"], entry["applied"], "delay")
            return AppliedFault(entry["id"], fault, fault.delay_seconds(rng))
        return None

    def _draw_succeeds(self, entry: dict[str, Any], fault: Fault) -> bool:
        if fault.probability is None:
            return True
        entry["evaluations"] += 1
        return self._rng(fault, entry["id"], entry["evaluations"], "p").random() < fault.probability

    def _rng(self, fault: Fault, fault_id: str, count: int, purpose: str) -> random.Random:
        seed = self._default_seed if fault.seed is None else fault.seed
        return random.Random(f"{seed}:{fault_id}:{count}:{purpose}")

    def _change(self, change: Callable[[dict[str, Any]], T]) -> T:
        def updater(text: str | None) -> tuple[str | None, T]:
            state = load_document(text)
            result = change(state)
            return json.dumps(state, separators=(",", ":")), result

        return self._store.update(DOC, updater)

