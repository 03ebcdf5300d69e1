"""A core install (no AWS, no Schemathesis packages): what works, and what says which extra to install."""

from __future__ import annotations

import subprocess
import sys
from textwrap import dedent

import pytest

pytestmark = pytest.mark.e2e

#: What the s3 and contract extras bring. ``sys.modules[name] = None`` makes Python treat each as
#: not installed (``import`` fails, ``find_spec`` finds nothing), in a fresh interpreter.
S3_ONLY = ("boto3", "botocore", "moto", "flask", "flask_cors")
CONTRACT_ONLY = ("schemathesis", "hypothesis", "requests")


def without(names: tuple[str, ...]) -> str:
    return f"import sys\nfor name in {names!r}:\n    sys.modules[name] = None\n"


CORE_ONLY = without(S3_ONLY + CONTRACT_ONLY)


def core_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CORE_ONLY + dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_the_core_serves_with_a_socket_and_in_process() -> None:
    done = core_python("""
        import httpx
        from mock_server import MockServer
        from mock_server.testing import transport

        body = {"model": "eigen-image", "prompt": "a fox", "seed": 1, "width": 512, "height": 512}
        with MockServer() as mock:
            answer = httpx.post(mock.url + "/api/v1/generate", json=body, headers=mock.headers, timeout=30)
            assert answer.status_code == 200, answer.text
            stored = httpx.post(mock.url + "/api/v1/generate", json={**body, "s3_output_path": "s3://bucket/k.png"},
                                headers=mock.headers, timeout=30)
            assert stored.status_code == 502 and stored.json()["error"]["code"] == "storage_error"
        with httpx.Client(transport=transport(), base_url="http://eigen.test") as client:
            answer = client.post("/api/v1/generate", json=body, headers={"Authorization": "Bearer eigen-mock-key"})
            assert answer.status_code == 200
        print(sorted(name for name, module in sys.modules.items() if module is not None
                     and name.split(".")[0] in ("boto3", "botocore", "moto", "schemathesis", "hypothesis")))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_mock_server_with_s3_names_the_extra() -> None:
    done = core_python("""
        from mock_server import MockServer
        from mock_server.extras import MissingExtra
        try:
            MockServer(s3=True)
        except MissingExtra as exc:
            print(exc)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "MockServer(s3=True) needs the s3 extra (botocore is not installed): pip install 'eigen-mock[s3]'"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("serve", "--port", "0"),
            "eigen-mock: the embedded S3 needs the s3 extra (botocore is not installed): pip install 'eigen-mock[s3]'; "
            "or serve without it: --no-s3",
        ),
        (
            ("serve", "--port", "0", "--s3-endpoint-url", "http://127.0.0.1:9"),
            "eigen-mock: an S3 endpoint (http://127.0.0.1:9) needs the s3 extra: pip install 'eigen-mock[s3]'",
        ),
        (
            ("check", "--base-url", "http://127.0.0.1:9"),
            "eigen-mock check needs the contract extra: pip install 'eigen-mock[contract]'",
        ),
    ],
    ids=["embedded-s3", "s3-endpoint", "check"],
)
def test_the_cli_names_the_missing_extra_in_one_line(args: tuple[str, ...], expected: str) -> None:
    done = core_python("from mock_server.cli import main\nraise SystemExit(main(sys.argv[1:]))", *args)
    assert (done.returncode, done.stderr.splitlines()) == (2, [expected])


def test_the_fixture_serves_without_the_s3_extra(pytester: pytest.Pytester) -> None:
    """Hypothesis stays: its own pytest plugin, installed here, imports it for the run's header."""
    pytester.makeconftest(without(S3_ONLY))
    pytester.makepyfile(
        test_core="""
        import httpx

        def test_fixture(eigen_mock):
            body = {"model": "eigen-image", "prompt": "a", "seed": 1, "width": 512, "height": 512}
            answer = httpx.post(eigen_mock.url + "/api/v1/generate", json=body, headers=eigen_mock.headers)
            assert answer.status_code == 200 and eigen_mock.s3_endpoint_url is None
    """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120).assert_outcomes(passed=1)


def test_the_suite_without_the_contract_extra_stops_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(without(CONTRACT_ONLY))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--pyargs", "contract_tests.suite", timeout=120
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        "ERROR: the contract suite needs the contract extra (schemathesis, hypothesis, requests not installed): "
        "pip install 'eigen-mock[contract]'"
    ]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
