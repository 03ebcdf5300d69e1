"""pytest plugin (entry point ``eigen_mock``): the ``eigen_mock`` fixture.

``eigen_mock`` is a ``MockServer`` on 127.0.0.1 with an embedded S3: ``url``, ``api_key``,
``headers``, ``requests``, ``fail(...)``, ``reset()``. One server serves the whole session and is
reset before each test, so a test costs no start-up; ``@pytest.mark.eigen_mock(**settings)``
gives a test its own server built with those ``Settings`` fields (and ``s3=True`` for an S3).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.settings import Settings
from mock_server.testing import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eigen-mock")
    group.addoption("--eigen-mock-no-s3", action="store_true", help="start the eigen_mock server without an S3")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "eigen_mock(**settings): give this test its own eigen-mock server built with these Settings "
        "fields (s3=True adds an embedded S3)",
    )


@pytest.fixture(scope="session")
def eigen_mock_session(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The session's shared server (use ``eigen_mock``, which resets it for each test)."""
    with MockServer(s3=not request.config.getoption("eigen_mock_no_s3")) as server:
        yield server


@pytest.fixture
def eigen_mock(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The mock for this test: empty journal, no faults, shipped model library."""
    marker = request.node.get_closest_marker("eigen_mock")
    if marker is None:
        server: MockServer = request.getfixturevalue("eigen_mock_session")
        server.reset()
        yield server
        return
    options = dict(marker.kwargs)
    s3 = bool(options.pop("s3", False))
    with MockServer(Settings(access_log=False).replace(**options), s3=s3) as server:
        yield server
