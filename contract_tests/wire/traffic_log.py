"""Every exchange of the run, judged by the invariant rules as it is recorded.

Bodies are not kept (a run sees hundreds of megabytes of images): only what the rules found,
with the offending exchanges, and counts of what kinds of responses were seen, so an invariant
check can tell "nothing wrong" from "nothing observed".
"""

from __future__ import annotations

import threading
from collections import Counter

from .. import current
from ..judging.invariants import RULES, Rule, RuleContext
from ..judging.violations import Violation
from .exchange import Exchange

#: Offending exchanges kept per rule; the rest are only counted.
KEEP_PER_RULE = 20


class TrafficLog:
    def __init__(self, context: RuleContext) -> None:
        self.context = context
        self.total = 0
        self.kinds: Counter[str] = Counter()
        self.findings: dict[str, list[Violation]] = {name: [] for name in RULES}
        self.counts: Counter[str] = Counter()
        #: a rule that raised (a bug of the suite, never the server's): its check ends as an error
        self.crashes: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def current_check(self) -> str:
        """The check of the calling thread, which the exchanges it records are attributed to."""
        return current.check() or "(between checks)"

    def record(self, exchange: Exchange) -> None:
        with self._lock:  # checks send from several threads with --concurrency; rules keep state
            self.total += 1
            self.kinds.update(_kinds(exchange))
            for name, judge in RULES.items():
                self._judge(name, judge, exchange)

    def _judge(self, name: str, judge: Rule, exchange: Exchange) -> None:
        try:
            messages = judge(exchange, self.context)
        except Exception as exc:
            self.crashes.setdefault(name, f"{type(exc).__name__}: {exc} (judging {exchange.describe()})")
            return
        for clause, message in messages:
            self.counts[name] += 1
            if len(self.findings[name]) < KEEP_PER_RULE:
                self.findings[name].append(Violation(name, f"{message} [sent by {exchange.check}]", exchange, clause))


def _kinds(exchange: Exchange) -> list[str]:
    received = exchange.received
    if not received.ok:
        return ["response", "error"]
    kinds = ["response", "success", "binary" if received.binary else "json-success"]
    if exchange.sent.sources():
        kinds.append("edit")
    return kinds
