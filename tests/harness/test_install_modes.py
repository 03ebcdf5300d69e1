"""Same command, same verdict: ``eigen-mock check`` from the wheel and from the checkout agree check by check.

Hypothesis derandomises a test by a digest of its source and identity, which an installed copy
of the suite need not share with the checkout; the suite seeds every draw from ``--seed`` and the
check's id instead. The wheel is built and installed in a fresh venv, run from another directory,
and compared with the checkout's run against the same mock: each check's status and request count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mock_server import Settings, create_app
from tests.fixtures.wheel import ROOT, install_wheel
from tests.planted.serving import serve

pytestmark = pytest.mark.e2e


def check(python: Path, url: str, cwd: Path, report: Path) -> dict[str, Any]:
    command = [
        str(python),
        "-m",
        "contract_tests",
        "--base-url",
        url,
        "--api-key",
        "eigen-mock-key",
        "--max-requests",
        "100",
        "--report",
        str(report),
    ]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def test_the_wheel_and_the_checkout_reach_the_same_verdicts(tmp_path: Path) -> None:
    python = install_wheel(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with serve(create_app(Settings(access_log=False))) as url:
        from_wheel = check(python, url, elsewhere, tmp_path / "wheel.json")
        from_checkout = check(Path(sys.executable), url, ROOT, tmp_path / "checkout.json")
    where = [str(python), "-c", "import contract_tests; print(contract_tests.__file__)"]
    installed = subprocess.run(where, cwd=elsewhere, capture_output=True, text=True, timeout=60, check=True).stdout
    assert installed.startswith(str(tmp_path / "venv"))
    verdicts = [{c["id"]: (c["outcome"], c["requests"]) for c in run["checks"]} for run in (from_wheel, from_checkout)]
    assert verdicts[0] == verdicts[1]
    assert from_wheel["seed"] == from_checkout["seed"] == 0
    assert from_wheel["exit_status"] == from_checkout["exit_status"] == 0
