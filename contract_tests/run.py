"""One contract run: the target, the profile, the budget and plan, the journal, S3, results.

``ContractRun`` is built once per pytest session by the plugin (or by anyone, from Python);
``CheckRun`` is what a single check of the suite works with.
"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .budget import Budget, BudgetExhausted
from .builders import Builders
from .client import ContractClient
from .invariants import RuleContext
from .journal import Journal
from .plan import Plan
from .profile import Profile
from .registry import CHECKS, CheckSpec
from .results import Results
from .s3probe import S3Probe
from .sampling import clause_first
from .spec import ContractSpec
from .target import Target
from .transport import RecordingSession
from .violations import ContractViolation

T = TypeVar("T")


@dataclass
class ContractRun:
    target: Target
    profile: Profile
    spec: ContractSpec
    budget: Budget
    plan: Plan
    journal: Journal
    session: RecordingSession
    s3: S3Probe | None
    results: Results
    repro_dir: Path | None = None
    notes: dict[str, str] = field(default_factory=dict)
    #: rotates the tails of large tables across runs (``sampling.py``); printed in every report
    seed: int = 0

    @classmethod
    def create(
        cls,
        target: Target,
        profile: Profile,
        check_ids: list[str],
        *,
        max_requests: int | None = None,
        repro_dir: Path | None = None,
        seed: int | None = None,
    ) -> ContractRun:
        spec = ContractSpec.load()
        budget = Budget(profile.max_requests if max_requests is None else max_requests)
        journal = Journal(RuleContext(spec, profile.library, target.api_key, fault_header=profile.fault_header))
        s3 = None
        if profile.s3 and target.s3_endpoint_url and target.s3_bucket:
            s3 = S3Probe(target.s3_endpoint_url, target.s3_bucket)
        return cls(
            target=target,
            profile=profile,
            spec=spec,
            budget=budget,
            plan=Plan(budget, check_ids),
            journal=journal,
            session=RecordingSession(budget, journal, target.request_timeout),
            s3=s3,
            results=Results(),
            repro_dir=repro_dir,
            seed=random.randrange(2**32) if seed is None else seed,
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
        maximum = self.run.profile.max_examples * spec.scale if available is None else available
        granted = self.run.plan.grant(spec.id, spec.cost * maximum + spec.reserve)
        units = min(maximum, max(0, (granted - spec.reserve) // spec.cost))
        self.run.budget.allow(units * spec.cost + spec.reserve if units else 0)
        if units < spec.min_units and spec.kind != "invariant":
            raise BudgetExhausted(f"budget: {granted} requests left for {spec.id}, it needs {spec.min_requests}")
        return units

    def affords(self, requests: int) -> bool:
        """Whether this check's grant still covers ``requests`` more."""
        return self.run.budget.left_in_grant() >= requests

    @contextlib.contextmanager
    def judging(self, clause: str) -> Iterator[None]:
        """Charge the requests sent inside to ``clause`` (the per-clause report counts them)."""
        budget = self.run.budget
        before = budget.clause
        budget.clause = clause or before
        try:
            yield
        finally:
            budget.clause = before

    def planned(self, rows: Sequence[T], clause_of: Callable[[T], str]) -> list[T]:
        """The rows of a table this check sends: one per clause first (``sampling.py``), as many as it affords."""
        ordered = clause_first(rows, clause_of, self.run.seed)
        return ordered[: self.units(len(ordered))]

    def note(self, text: str) -> None:
        """A remark shown next to the check's result (e.g. how much of it the budget allowed)."""
        self.run.notes[self.spec.id] = text

    def given(self, *strategies: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Callable[[], None]]:
        """``@given`` with this check's share of the budget as ``max_examples``."""
        examples = self.units()

        def decorate(test: Callable[..., None]) -> Callable[[], None]:
            seen: list[ContractViolation] = []

            @functools.wraps(test)
            def remembering(*args: Any, **kwargs: Any) -> None:
                try:
                    test(*args, **kwargs)
                except ContractViolation as violation:
                    seen.append(violation)
                    raise

            prop = settings(hypothesis_settings(examples))(given(*strategies)(remembering))

            def run() -> None:
                try:
                    prop()
                except BudgetExhausted:
                    if seen:  # the replay of a failing example found the budget spent: the failure stands
                        raise seen[0] from None
                    raise

            return run

        return decorate


def hypothesis_settings(examples: int) -> settings:
    """Reproducible (derandomized), no database, no shrinking: every shrink step would be a paid request."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
