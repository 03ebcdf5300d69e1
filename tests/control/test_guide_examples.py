"""docs/client-testing.md's runnable examples, extracted and run as a user runs them: one pytest run
(through the plugin's entry point) over every block marked ``<!-- test file: NAME.py -->``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "client-testing.md"
MARKED = re.compile(r"<!-- test file: (test_\w+)\.py -->\n```python\n(.*?)```", re.DOTALL)


def examples() -> dict[str, str]:
    found = dict(MARKED.findall(GUIDE.read_text(encoding="utf-8")))
    assert found, "docs/client-testing.md has no marked examples"
    return found


def test_every_marked_example_in_the_guide_passes(pytester: pytest.Pytester) -> None:
    files = examples()
    pytester.makepyfile(**files)
    tests = sum(len(re.findall(r"^(?:async )?def test_", code, re.MULTILINE)) for code in files.values())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=180)
    result.assert_outcomes(passed=tests)
