"""Shared test configuration: Hypothesis profiles and the fixture modules in tests/fixtures/."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

# Every module in tests/fixtures/ is a fixture plugin; adding one needs no edit here.
pytest_plugins = sorted(
    f"tests.fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if not path.stem.startswith("_")
)

_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=_SLOW)
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True, suppress_health_check=_SLOW)
settings.register_profile("nightly", max_examples=500, deadline=None, suppress_health_check=_SLOW)
settings.load_profile("dev")
