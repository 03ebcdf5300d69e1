"""One contract run: the target, the profile, the budget and plan, the traffic log, S3, results.

``ContractRun`` is built once per pytest session by the plugin (or by anyone, from Python);
``CheckRun`` is what a single check of the suite works with.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .. import current
from ..judging.invariants import RuleContext
from ..profile import Profile
from ..spec import ContractSpec
from ..wire.builders import Builders
from ..wire.client import ContractClient
from ..wire.s3probe import S3Probe
from ..wire.session import TargetSession
from ..wire.target import Target
from ..wire.traffic_log import TrafficLog
from .budget import Budget, BudgetExhausted
from .concurrency import Attempt, Pool, settle
from .pacing import Pacing
from .plan import BudgetPlan
from .registry import CHECKS, CheckSpec
from .results import Results
from .sampling import clause_first

T = TypeVar("T")
R = TypeVar("R")
#: held while Hypothesis (or Schemathesis) builds or draws (see ``CheckRun.examples``), and while
#: pytest makes a report: each may run ast.parse, which CPython 3.11 cannot run in two threads at once
DRAWING = threading.RLock()


@dataclass
class ContractRun:
    target: Target
    profile: Profile
    spec: ContractSpec
    budget: Budget
    plan: BudgetPlan
    traffic: TrafficLog
    session: TargetSession
    s3: S3Probe | None
    results: Results
    repro_dir: Path | None = None
    notes: dict[str, str] = field(default_factory=dict)
    #: every drawn request derives from it (with the check's id): same seed, same requests
    seed: int = 0
    pool: Pool = field(default_factory=Pool)
    #: objects the checks share, made once per run (one loaded Schemathesis schema, ...)
    shared: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        target: Target,
        profile: Profile,
        check_ids: list[str],
        *,
        max_requests: int | None = None,
        repro_dir: Path | None = None,
        seed: int = 0,
        max_wait: float = 300.0,
        concurrency: int = 1,
    ) -> ContractRun:
        spec = ContractSpec.load()
        budget = Budget(profile.max_requests if max_requests is None else max_requests)
        traffic = TrafficLog(RuleContext(spec, profile.library, target.api_key, fault_header=profile.fault_header))
        s3 = None
        if profile.s3 and target.s3_endpoint_url and target.s3_bucket:
            s3 = S3Probe(target.s3_endpoint_url, target.s3_bucket)
        return cls(
            target=target,
            profile=profile,
            spec=spec,
            budget=budget,
            plan=BudgetPlan(budget, check_ids),
            traffic=traffic,
            session=TargetSession(
                budget, traffic, target.request_timeout, pacing=Pacing(max_wait), concurrency=concurrency
            ),
            s3=s3,
            results=Results(),
            repro_dir=repro_dir,
            seed=seed,
            pool=Pool(concurrency),
        )

    @property
    def client(self) -> ContractClient:
        return ContractClient(self.session, self.target)

    @property
    def builders(self) -> Builders:
        return Builders(self.profile, self.spec)

    def skip_reason(self, check: CheckSpec) -> str | None:
        """Why ``check`` cannot run on this target, if it cannot."""
        reason = self.profile.skip_reason(check.id)
        if reason:
            return f"turned off by profile {self.profile.name}: {reason}"
        if "s3" in check.needs and self.s3 is None:
            if not self.profile.s3:
                return f"S3 checks are off in profile {self.profile.name}"
            return "no S3 to inspect: pass --s3-endpoint-url and --s3-bucket"
        if "editing" in check.needs and not self.profile.library.in_mode("image-editing"):
            return "no model of the profile edits images"
        return self.plan.skipped.get(check.id)

    def close(self) -> None:
        self.session.close()
        if self.s3 is not None:
            with contextlib.suppress(BotoCoreError, ClientError):  # best effort: the report is already out
                self.s3.cleanup()


class CheckRun:
    """A check's view of the run: its client, its share of the budget, its Hypothesis settings."""

    def __init__(self, run: ContractRun, check_id: str) -> None:
        self.run = run
        self.spec = CHECKS[check_id]
        self.client = run.client
        self.builders = run.builders

    @property
    def id(self) -> str:
        return self.spec.id

    def units(self, available: int | None = None) -> int:
        """How many examples, rows or probes this check may run (at most ``available``).

        ``None`` means a Hypothesis property, bounded by the profile's ``max_examples``. Raises
        ``BudgetExhausted`` (a skip) when fewer than the check's minimum can be afforded.
        """
        spec = self.spec
        # Failing examples are not replayed (``examples``): only probes sent once (spec.overhead) are
        # kept back; the registry's replay reserve still counts when checks are admitted.
        maximum = self.run.profile.max_examples * spec.scale if available is None else available
        granted = self.run.plan.grant(spec.id, spec.cost * maximum + spec.overhead)
        units = min(maximum, max(0, (granted - spec.overhead) // spec.cost))
        self.run.budget.allow(units * spec.cost + spec.overhead if units else 0)
        if units < spec.min_units and spec.kind != "invariant":
            raise BudgetExhausted(f"budget: {granted} requests left for {spec.id}, it needs {spec.min_requests}")
        return units

    def affords(self, requests: int) -> bool:
        """Whether this check's grant still covers ``requests`` more."""
        return self.run.budget.left_in_grant() >= requests

    def judging(self, clause: str) -> contextlib.AbstractContextManager[None]:
        """Charge the requests sent inside to ``clause`` (the per-clause report counts them)."""
        return current.judging(clause)

    def planned(self, rows: Sequence[T], clause_of: Callable[[T], str]) -> list[T]:
        """The rows of a table this check sends: one per clause first (``sampling.py``), as many as it affords."""
        ordered = clause_first(rows, clause_of, self.seed_for("rows"))
        return ordered[: self.units(len(ordered))]

    def note(self, text: str) -> None:
        """A remark shown next to the check's result (e.g. how much of it the budget allowed)."""
        self.run.notes[self.spec.id] = text

    def given(self, *strategies: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Callable[[], None]]:
        """A property over this check's share of the budget: ``test(*drawn)`` for each drawn example.

        The examples are drawn first (``examples``), then run up to ``--concurrency`` at a time
        (``map``): which requests are sent depends on the seed, never on timing, and a failing
        example does not stop the others (each costs what was granted for it anyway).
        """
        count = self.units()

        def decorate(test: Callable[..., None]) -> Callable[[], None]:
            def run() -> None:
                drawn = self.examples(st.tuples(*strategies), count, name=test.__name__)
                self.map(drawn, lambda args: test(*args))

            return run

        return decorate

    def examples(
        self, strategy: st.SearchStrategy[T] | Callable[[], st.SearchStrategy[T]], count: int, *, name: str = ""
    ) -> list[T]:
        """Up to ``count`` values drawn from ``strategy``, a function of the run's seed and this check only.

        Checks running side by side draw one at a time (and build a strategy given as a function one
        at a time): Hypothesis describes lambdas with ``ast.parse``, which CPython 3.11 cannot run in
        two threads at once ("AST constructor recursion depth mismatch").
        """
        drawn: list[T] = []
        if count <= 0:
            return drawn

        with DRAWING:
            built = strategy if isinstance(strategy, st.SearchStrategy) else strategy()

            @settings(hypothesis_settings(count))
            @seed(self.seed_for(name))
            @given(built)
            def collect(value: T) -> None:
                drawn.append(value)

            collect()
        return drawn

    def seed_for(self, name: str = "") -> int:
        """This check's seed for ``name``, derived from the run's seed (not from where the suite is installed)."""
        digest = hashlib.sha256(f"{self.run.seed}:{self.spec.id}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def attempt(self, items: Sequence[T], work: Callable[[T], R]) -> list[Attempt[R]]:
        """``work`` on every item, up to ``--concurrency`` at a time; each outcome in the items' order."""
        return self.run.pool.attempt(items, work)

    def map(self, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        """``attempt``, then raise what the items raised (violations together, in order), else the results."""
        return settle(self.attempt(items, work))

    def map_affordable(self, items: Sequence[T], work: Callable[[T], R]) -> list[tuple[T, R]]:
        """``map``, leaving out the items the budget cut off (retries after a 429 may spend what they planned)."""
        attempts = self.attempt(items, work)
        kept = [(item, a) for item, a in zip(items, attempts, strict=True) if not isinstance(a.error, BudgetExhausted)]
        if len(kept) < len(items):
            self.note(f"budget: {len(items) - len(kept)} of {len(items)} requests not sent (the cap was reached)")
        return list(zip([item for item, _ in kept], settle([a for _, a in kept]), strict=True))


def hypothesis_settings(examples: int) -> settings:
    """Reproducible (seeded by the run), no database, no shrinking: every shrink step would be a paid request."""
    return settings(
        max_examples=examples,
        derandomize=False,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
