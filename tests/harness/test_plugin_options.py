"""The suite's options beside pytest-base-url, which owns ``--base-url``: any load order works."""

from __future__ import annotations

import pytest

#: The two plugins by module, in both orders; autoload off so the order is the one given.
ORDERS = {
    "base-url first": ("-p", "pytest_base_url.plugin", "-p", "contract_tests.plugin"),
    "eigen first": ("-p", "contract_tests.plugin", "-p", "pytest_base_url.plugin"),
}

#: Each plugin's URL option, both given, and the suite's key.
BOTH_URLS = ("--base-url", "http://app.example", "--eigen-base-url", "http://127.0.0.1:9", "--eigen-api-key", "k")

USER_TEST = """
def test_both_plugins_read_their_options(request, base_url):
    assert base_url == "http://app.example"  # pytest-base-url's fixture
    assert request.config.getoption("eigen_base_url") == "http://127.0.0.1:9"
    assert request.config.getoption("eigen_api_key") == "k"
"""


@pytest.mark.parametrize("order", ORDERS)
def test_both_plugins_load_in_either_order(pytester: pytest.Pytester, order: str) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess(
        "--disable-plugin-autoload",
        *ORDERS[order],
        "-p",
        "no:cacheprovider",
        *BOTH_URLS,
        timeout=120,
    )
    result.assert_outcomes(passed=1)


def test_both_load_from_their_entry_points(pytester: pytest.Pytester) -> None:
    """As installed: pytest finds both through pytest11 entry points, in whatever order it lists them."""
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        *BOTH_URLS,
        timeout=120,
    )
    result.assert_outcomes(passed=1)


def test_the_old_name_is_ours_where_no_other_plugin_has_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
def test_old_names(request):
    assert request.config.getoption("eigen_base_url") == "http://127.0.0.1:9"
    assert request.config.getoption("eigen_checks") == ["determinism"]
"""
    )
    result = pytester.runpytest_subprocess(
        "--disable-plugin-autoload",
        "-p",
        "contract_tests.plugin",
        "-p",
        "no:cacheprovider",
        "--base-url",
        "http://127.0.0.1:9",
        "--check",
        "determinism",
        timeout=120,
    )
    result.assert_outcomes(passed=1)


def test_a_root_conftest_may_own_an_old_name(pytester: pytest.Pytester) -> None:
    """A project's own ``--profile`` (as pytest-profiling has) wins; ours stays under its prefix."""
    pytester.makeconftest('def pytest_addoption(parser):\n    parser.addoption("--profile", action="store_true")\n')
    pytester.makepyfile(
        test_user="""
def test_own_option(request):
    assert request.config.getoption("profile") is True
    assert request.config.getoption("eigen_profile") == "live"
"""
    )
    result = pytester.runpytest_subprocess(
        "--disable-plugin-autoload",
        "-p",
        "contract_tests.plugin",
        "-p",
        "no:cacheprovider",
        "--profile",
        "--eigen-profile",
        "live",
        timeout=120,
    )
    result.assert_outcomes(passed=1)
