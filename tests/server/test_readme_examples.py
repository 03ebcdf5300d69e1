"""The README's shell blocks, run as written against a real server (its URL and paths put in).

Every ```sh block is either run here or listed in ``NOT_RUN`` with the reason, so a new example
cannot go untested unnoticed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mock_server import MockServer, Settings
from tests.support import IMAGES

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent

#: Blocks not run here, by a word only they contain, with the reason.
NOT_RUN = {
    "creates .venv": "starts the server that this test starts itself; `make test` is the run this test is part of",
    "pip wheel": "installs into another environment from the registry (tests/server/test_e2e.py builds and "
    "installs the wheel; the install was checked in a fresh venv for issue 19)",
    "pipx install": "installs into another environment from the registry (see 'pip wheel')",
    "eigen-mock record": "records the real API, which is not reachable offline",
    "eigen-mock proxy": "forwards to a staging server, which does not exist here",
    "make bench": "takes about 22 minutes; tests/bench runs its smoke version",
}
#: Blocks run here, by a word only they contain.
RUN = ("fox.png", "edited.png", "_mock/faults", "eigen-mock check")


def sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def readme_block(marker: str) -> str:
    (block,) = [block for block in sh_blocks() if marker in block]
    return block


def run_example(marker: str, server: MockServer, cwd: Path, timeout: float = 60) -> str:
    script = readme_block(marker)
    for address in ("http://127.0.0.1:8000", "localhost:8000"):
        script = script.replace(address, server.url)
    script = script.replace("fixtures/images/", f"{IMAGES}/").replace(".venv/bin/", f"{BIN}/")
    if server.s3_endpoint_url:
        script = script.replace("http://127.0.0.1:<port from make run>", server.s3_endpoint_url)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def mock_with_s3() -> Iterator[MockServer]:
    """The server `make run` starts: the default settings and an embedded S3 with the bucket eigen-mock."""
    with MockServer(Settings(), s3=True) as server:
        yield server


def test_every_shell_block_is_run_or_has_a_reason_not_to_be() -> None:
    for block in sh_blocks():
        markers = [marker for marker in (*RUN, *NOT_RUN) if marker in block]
        assert len(markers) == 1, f"README block needs exactly one marker in tests, has {markers}:\n{block}"
    assert all(any(marker in block for block in sh_blocks()) for marker in (*RUN, *NOT_RUN))


def test_text_to_image_example(mock_socket: MockServer, tmp_path: Path) -> None:
    out = run_example("fox.png", mock_socket, tmp_path)
    seed, width, height, digest = out.split()
    assert (seed, width, height) == ("42", "1024", "768") and len(digest) == 64
    assert Image.open(tmp_path / "fox.png").size == (1024, 768)


def test_image_editing_example(mock_socket: MockServer, tmp_path: Path) -> None:
    out = run_example("edited.png", mock_socket, tmp_path)
    assert out.strip() == "200 image/png"
    with Image.open(tmp_path / "edited.png") as image:
        assert (image.format, image.size) == ("PNG", (640, 480))


def test_the_journal_example_lists_the_request_the_fault_answered(mock_socket: MockServer, tmp_path: Path) -> None:
    out = run_example("_mock/faults", mock_socket, tmp_path)
    queued, status, listing = out.split("\n", 2)
    assert json.loads(queued)["faults"][0]["fault"]["status"] == 503 and status == "503"
    (record,) = json.loads(listing)["requests"]
    assert record["status"] == 503 and record["params"]["prompt"] == "a fox"


def test_the_check_example_passes_against_the_mock(mock_with_s3: MockServer, tmp_path: Path) -> None:
    run_example("eigen-mock check", mock_with_s3, tmp_path, timeout=300)
    assert "FAIL" not in (tmp_path / "contract.md").read_text(encoding="utf-8")
    assert (tmp_path / "contract.xml").stat().st_size > 0
