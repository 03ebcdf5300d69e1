"""The ``eigen_mock`` pytest plugin, run the way a user runs it: a separate pytest that finds it
through its entry point, on test files written as a user would write them, README's included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

ISOLATION = """
import httpx
import pytest

BODY = {"model": "eigen-image", "prompt": "a", "seed": 1, "width": 512, "height": 512}


def test_a_fault_is_queued(eigen_mock):
    eigen_mock.fail(503, times=None)
    assert httpx.post(eigen_mock.url + "/api/v1/generate", json=BODY, headers=eigen_mock.headers).status_code == 503


def test_the_next_test_starts_clean(eigen_mock):
    assert eigen_mock.faults == [] and eigen_mock.requests.call_count == 0
    assert httpx.post(eigen_mock.url + "/api/v1/generate", json=BODY, headers=eigen_mock.headers).status_code == 200
    assert eigen_mock.s3_endpoint_url is not None


@pytest.mark.eigen_mock(api_keys=("team-key",), rate_limit=1)
def test_a_marker_gives_a_test_its_own_server(eigen_mock):
    assert eigen_mock.api_key == "team-key" and eigen_mock.s3_endpoint_url is None
    statuses = [httpx.post(eigen_mock.url + "/api/v1/generate", json=BODY, headers=eigen_mock.headers).status_code
                for _ in range(2)]
    assert statuses == [200, 429]


def test_the_plugin_registers_its_marker_and_option(request):
    assert any(line.startswith("eigen_mock(**settings)") for line in request.config.getini("markers"))
    assert request.config.getoption("eigen_mock_no_s3") is False
"""


def readme_example() -> str:
    """The first Python block of README's "Test your client" section, exactly as written."""
    section = README.read_text(encoding="utf-8").split("### Test your client", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "README's 'Test your client' section lost its example"
    return found.group(1)


def test_the_readme_example_and_the_fixture_work_as_a_user_runs_them(pytester: pytest.Pytester) -> None:
    example = readme_example()
    assert len(example.strip().splitlines()) <= 20
    pytester.makepyfile(test_readme_example=example, test_isolation=ISOLATION)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=120)
    result.assert_outcomes(passed=5)
