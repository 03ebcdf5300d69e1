"""With ``--concurrency`` above 1, the checks of a phase run side by side, each in a thread of its own.

pytest runs tests one after another, so when the first check of the behaviour (or conformance)
phase is set up, every check of that phase is started in a thread; each check's pytest test then
only waits for its thread and reports what it came to. The grants are made in the checks' order
(``BudgetPlan.take_turns``) and do not depend on what earlier checks of the phase spent so far, so the
requests sent are those of a run with ``--concurrency 1``. Invariant checks judge the traffic of
the whole run, so they keep running one after another, last.

A suite test is started early only when its arguments are ``eigen_check``, ``eigen_run`` and
session fixtures built from those (the suite's own tests); any other waits for its turn.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from .. import current
from ..judging.clauses import clauses_of
from .pacing import TargetUnreachable
from .registry import CHECKS
from .run import CheckRun, ContractRun

PARALLEL_PHASES = frozenset({"behaviour", "conformance"})
#: Parts of Schemathesis a contract run never reaches (its CLI, pytest loaders, GraphQL, reporting).
_NOT_USED = (
    "schemathesis.cli",
    "schemathesis.pytest",
    "schemathesis.graphql",
    "schemathesis.specs.graphql",
    "schemathesis.python",
    "schemathesis.reporting",
)


def import_everything(package: str, skip: tuple[str, ...] = ()) -> None:
    """Import every module of ``package`` now, in this thread, rather than on first use in a check's thread.

    Schemathesis imports many modules inside its functions. Under pytest, whose assertion rewriter
    parses a plugin's modules with ast.parse as they are imported, two checks importing at once
    in two threads crash CPython 3.11 ("AST constructor recursion depth mismatch").
    """
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, f"{package}."):
        if not module.name.startswith(skip):
            with contextlib.suppress(ImportError):  # optional extras (allure) that are not installed
                importlib.import_module(module.name)


@contextmanager
def entered(run: ContractRun, check_id: str) -> Iterator[CheckRun]:
    """``check_id`` opens its account, unless the target is gone or the check cannot run here (a skip)."""
    if run.session.gone is not None:
        raise TargetUnreachable(run.session.gone)
    reason = run.skip_reason(CHECKS[check_id])
    if reason:
        pytest.skip(reason)
    own = clauses_of(check_id)
    # a check's requests judge its first clause unless a row, pair or probe names its own (``CheckRun.judging``)
    with run.budget.within(check_id), current.judging(own[0].id if own else None):
        yield CheckRun(run, check_id)


class SideBySide:
    def __init__(self, run: ContractRun, items: dict[pytest.Item, str]) -> None:
        self.run = run
        self.items = items
        self._started: dict[pytest.Item, Future[BaseException | None]] = {}
        self._phases: set[str] = set()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max(1, len(items)), thread_name_prefix="eigen-check")

    def start_phase_of(self, item: pytest.Item) -> None:
        kind = CHECKS[self.items[item]].kind
        with self._lock:
            if kind not in PARALLEL_PHASES or kind in self._phases:
                return
            self._phases.add(kind)
            if kind == "conformance":
                import_everything("schemathesis", skip=_NOT_USED)
            phase = {i: check_id for i, check_id in self.items.items() if CHECKS[check_id].kind == kind}
            ready = {i: (check_id, call) for i, check_id in phase.items() if (call := _call(i, self.run)) is not None}
            self.run.plan.take_turns([check_id for check_id, _ in ready.values()])
            for started, (check_id, call) in ready.items():
                self._started[started] = self._executor.submit(self._run, check_id, call)

    def started(self, item: pytest.Item) -> bool:
        return item in self._started

    def outcome(self, item: pytest.Item) -> BaseException | None:
        """What the check of ``item`` raised in its thread (``None``: it passed); waits for it."""
        return self._started[item].result()

    def _run(self, check_id: str, call: Callable[[CheckRun], None]) -> BaseException | None:
        try:
            with entered(self.run, check_id) as check:
                call(check)
        except BaseException as exc:
            return exc
        finally:
            self.run.plan.done(check_id)
        return None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _call(item: pytest.Item, run: ContractRun) -> Callable[[CheckRun], None] | None:
    """How to call ``item``'s test function outside pytest, or ``None`` if one of its fixtures is unknown here."""
    function = getattr(item, "function", None)
    if function is None:
        return None
    names = list(inspect.signature(function).parameters)
    shared = {name: _session_value(item, name, run) for name in names if name != "eigen_check"}
    if any(value is _UNKNOWN for value in shared.values()):
        return None
    return lambda check: function(**shared, **({"eigen_check": check} if "eigen_check" in names else {}))


_UNKNOWN = object()


def _session_value(item: pytest.Item, name: str, run: ContractRun) -> Any:
    if name == "eigen_run":
        return run
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.get(name) if info is not None else None
    if not definitions:
        return _UNKNOWN
    definition = definitions[-1]
    func = getattr(definition, "func", None)
    if definition.scope != "session" or func is None or inspect.isgeneratorfunction(func):
        return _UNKNOWN
    arguments = {argument: _session_value(item, argument, run) for argument in definition.argnames}
    if any(value is _UNKNOWN for value in arguments.values()):
        return _UNKNOWN
    return func(**arguments)
