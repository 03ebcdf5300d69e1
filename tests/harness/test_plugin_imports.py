"""Both pytest plugins cost nothing in a test run that does not use them: no heavy import at load."""

from __future__ import annotations

import json
import subprocess
import sys

#: What a user's unrelated pytest run must not pay for (seconds of imports between them).
HEAVY = (
    "starlette",
    "uvicorn",
    "PIL",
    "moto",
    "boto3",
    "botocore",
    "schemathesis",
    "hypothesis",
    "httpx",
    "jsonschema",
    "jsonschema_rs",
    "yaml",
    "flask",
    "requests",
)

#: Loads the two entry points exactly as pytest does, in a fresh interpreter, and says which
#: top-level packages each load brought in beyond what ``import pytest`` had already.
_LOAD = """
import importlib.metadata, json, sys
import pytest
before = set(sys.modules)
points = {p.name: p for p in importlib.metadata.entry_points(group="pytest11")}
loaded = {}
for name in ("eigen_mock", "eigen_contract"):
    points[name].load()
    loaded[name] = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps(loaded))
"""


def test_loading_both_entry_points_imports_no_heavy_package() -> None:
    done = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(done.stdout)
    assert set(loaded) == {"eigen_mock", "eigen_contract"}
    for name, packages in loaded.items():
        assert not set(packages) & set(HEAVY), f"{name} imported {sorted(set(packages) & set(HEAVY))}"
    assert {"mock_server", "contract_tests"} <= set(loaded["eigen_contract"])


def test_the_probe_sees_a_heavy_import() -> None:
    probe = _LOAD.replace("points[name].load()", "points[name].load(); import starlette")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert "starlette" in json.loads(done.stdout)["eigen_mock"]
