"""The reviewed list of Schemathesis failures that are not contract violations, each with its reason.

Nothing is hidden silently: a failure that matches an entry is counted and listed in every
report (terminal, Markdown, JSON) under "known false positives", with the reason below. An entry
is as narrow as the cause: a check name plus a predicate on the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure

from ..engine.results import KnownFalsePositive, Results
from ..spec import ContractSpec

Case = schemathesis.Case[Any]


@dataclass(frozen=True)
class Entry:
    id: str
    check: str  # the Schemathesis check whose failure this explains
    reason: str
    applies: Callable[[Failure, Case, ContractSpec], bool]


def _labelled_positive_but_invalid(failure: Failure, case: Case, spec: ContractSpec) -> bool:
    media = "multipart" if (case.media_type or "").startswith("multipart/") else "json"
    return not spec.request_is_valid(case.body, media)


ENTRIES: list[Entry] = [
    Entry(
        id="positive-label-on-invalid-body",
        check="positive_data_acceptance",
        reason="Schemathesis 4.32.5's coverage phase labels some bodies positive that violate the request schema "
        "(its 'Multipart body with custom encoding' scenario sends prompt=\"\" although minLength is 1); the spec "
        "itself says the body is invalid, so the server's 400 is right. Counted only when the body fails the spec's "
        "own request schema.",
        applies=_labelled_positive_but_invalid,
    ),
]


class FalsePositives:
    def __init__(self, results: Results, spec: ContractSpec) -> None:
        self.results = results
        self.spec = spec
        self.counts: dict[str, int] = {}

    def explains(self, failure: Failure, case: Case) -> bool:
        for entry in ENTRIES:
            if entry.check in _checks_of(failure) and entry.applies(failure, case, self.spec):
                self.counts[entry.id] = self.counts.get(entry.id, 0) + 1
                self._publish()
                return True
        return False

    def _publish(self) -> None:
        self.results.false_positives = [
            KnownFalsePositive(entry.id, entry.check, entry.reason, self.counts[entry.id])
            for entry in ENTRIES
            if entry.id in self.counts
        ]


def _checks_of(failure: Failure) -> tuple[str, ...]:
    """The Schemathesis checks that report this kind of failure (its class names them)."""
    return tuple(type(failure).checks) + (type(failure).__name__,)
