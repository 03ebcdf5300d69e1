"""Stoplight Prism, installed with npm into ``benchmarks/.node/`` (git-ignored), pinned.

Prism mocks our own spec (``openapi/eigen.yaml``) in its default static mode: it answers each
request with the spec's first matching example, so it does no per-request work beyond
validating the request. Started with ``-v warn`` so its per-request log lines cost nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

VERSION = "5.16.0"
PACKAGE = "@stoplight/prism-cli"
NODE_DIR = Path(__file__).resolve().parent / ".node"


class PrismUnavailable(RuntimeError):
    """npm is missing or the install failed; the report then leaves Prism out and says why."""


def prism_bin(node_dir: Path = NODE_DIR) -> Path:
    return node_dir / "node_modules" / ".bin" / "prism"


def installed_version(node_dir: Path = NODE_DIR) -> str | None:
    manifest = node_dir / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        version: str = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def ensure_prism(node_dir: Path = NODE_DIR) -> Path:
    """The ``prism`` executable of the pinned version, installing it first if needed."""
    if installed_version(node_dir) == VERSION and prism_bin(node_dir).exists():
        return prism_bin(node_dir)
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailable("npm is not installed")
    node_dir.mkdir(parents=True, exist_ok=True)
    command = [
        npm,
        "install",
        "--prefix",
        str(node_dir),
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"{PACKAGE}@{VERSION}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0 or installed_version(node_dir) != VERSION:
        raise PrismUnavailable(f"npm install {PACKAGE}@{VERSION} failed: {done.stderr.strip()[-800:]}")
    return prism_bin(node_dir)


def command(executable: Path, spec: Path, port: int) -> list[str]:
    return [str(executable), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn", str(spec)]
