"""The README's copy-paste curl examples, run as written against a real server (port and paths adjusted)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from mock_server import MockServer
from tests.support import IMAGES

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(after: str) -> str:
    """The first ```sh block after the line starting with ``after``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(after) + r".*?\n```sh\n(.*?)```", text, flags=re.DOTALL)
    assert match, f"no sh block after {after!r} in README.md"
    return match.group(1)


def run_example(block: str, server: MockServer, cwd: Path) -> str:
    script = block.replace("http://127.0.0.1:8000", server.url).replace("fixtures/images/", f"{IMAGES}/")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_text_to_image_example(mock_socket: MockServer, tmp_path: Path) -> None:
    out = run_example(readme_block("Text-to-image (copy-paste"), mock_socket, tmp_path)
    seed, width, height, digest = out.split()
    assert (seed, width, height) == ("42", "1024", "768") and len(digest) == 64
    assert Image.open(tmp_path / "fox.png").size == (1024, 768)


def test_image_editing_example(mock_socket: MockServer, tmp_path: Path) -> None:
    out = run_example(readme_block("Image editing (multipart"), mock_socket, tmp_path)
    assert out.strip() == "200 image/png"
    with Image.open(tmp_path / "edited.png") as image:
        assert (image.format, image.size) == ("PNG", (640, 480))
