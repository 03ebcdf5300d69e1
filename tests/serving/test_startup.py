"""``eigen-mock serve`` starting up: one line and exit 2 for every problem, the banner once it listens."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server import __version__
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.e2e


def serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, one line on stderr naming the problem, no traceback, nothing on stdout."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("eigen-mock: "), done.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"eigen-mock {__version__}")


@pytest.mark.parametrize("workers", ["1", "3"])
def test_a_taken_port(taken_port: int, workers: str) -> None:
    assert_refused(
        serve("--port", str(taken_port), "--workers", workers, "--no-s3"),
        f"cannot listen on 127.0.0.1:{taken_port}",
        "in use",
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["--models", "No such file"]),
        ("models: [1", ["--models", "cannot read model library"]),
        ("models: 7\n", ["--models", "'models' mapping"]),
        (
            "models:\n  m:\n    modes:\n      text-to-image:\n        response_field: image_base64\n"
            "        parameters: [no_such_parameter]\n",
            ["--models", "no_such_parameter"],
        ),
    ],
    ids=["missing", "not-yaml", "wrong-shape", "unknown-parameter"],
)
def test_a_bad_model_library(tmp_path: Path, content: str | None, words: list[str]) -> None:
    library = tmp_path / "models.yaml"
    if content is not None:
        library.write_text(content, encoding="utf-8")
    for workers in ("1", "2"):
        assert_refused(serve("--models", str(library), "--workers", workers, "--no-s3"), *words)


def test_a_missing_source_root(tmp_path: Path) -> None:
    assert_refused(serve("--source-root", str(tmp_path / "nope"), "--no-s3"), "--source-root", "no such directory")
    (tmp_path / "file").write_text("x")
    assert_refused(serve("--source-root", str(tmp_path / "file"), "--no-s3"), "not a directory")


def test_an_unwritable_state_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")  # root may write anywhere; under a file nobody can
    for workers in ("1", "2"):
        assert_refused(
            serve("--state-dir", str(tmp_path / "file" / "state"), "--workers", workers, "--no-s3"),
            "--state-dir",
            "cannot write there",
        )


def test_a_bad_cassette(tmp_path: Path) -> None:
    assert_refused(serve("--replay", str(tmp_path), "--no-s3"), "not a cassette")


def read_banner(process: subprocess.Popen[str], until: str, timeout: float = 30) -> list[str]:
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(until in line for line in lines):
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
    return lines


def test_the_banner_comes_once_the_socket_listens_and_never_shows_a_configured_key() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            "--port",
            "0",
            "--no-s3",
            "--api-key",
            "team-secret-1",
            "--api-key",
            "team-secret-2",
            "--log-format",
            "json",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = read_banner(process, "gallery:")
        records = [json.loads(line) for line in lines]
        banner = next(record["message"] for record in records if "listening on" in record["message"])
        port = int(banner.split("http://127.0.0.1:", 1)[1].split()[0])  # --port 0: known only once bound
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the port already accepts when the banner says so
        assert {"time", "level", "logger", "message"} <= set(records[0])
        assert "API key: 2 configured (not shown)" in [record["message"] for record in records]
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=30)
    assert "team-secret" not in "".join(lines) + rest


def test_the_public_default_key_is_shown() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--no-s3"],
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = read_banner(process, "gallery:")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert any(line.rstrip().endswith("API key: eigen-mock-key") for line in lines), lines
    assert all(" eigen_mock INFO " in line for line in lines), lines  # one text format
