"""Run a smoke subset of the tests on the lowest and on the newest versions pyproject.toml allows.

Our own runs use the exact versions in constraints.txt; users get whatever the ranges in
pyproject.toml let their resolver pick. This proves both ends: ``lowest`` resolves every direct
dependency (extras included) to its floor (``uv pip compile --resolution lowest-direct``),
``newest`` to the newest release the registry has. Each gets a venv of its own
(``.venv-lowest``, ``.venv-newest``), synced to exactly that resolution, and runs SMOKE (both at
once, output in ``.venv-NAME/smoke.log``, shown whole when a run fails): a few
test files that between them import and exercise every runtime dependency (the server stack, the
embedded S3, the contract suite with Schemathesis and Hypothesis, both pytest plugins).

Usage: ``python .ci/ranges.py lowest newest`` (``make ranges``; ``make test`` runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOLUTIONS = {"lowest": "lowest-direct", "newest": "highest"}
EXTRAS = ("s3", "contract", "test")
#: Which dependency each file exercises, so a change here keeps every one of them covered.
SMOKE = (
    # starlette, uvicorn, httptools, python-multipart, pillow, isal, orjson, jsonschema(-rs), pyyaml, httpx
    "tests/server/test_e2e.py::test_socket_json_multipart_and_errors",
    "tests/testing/test_python_api.py",
    # the CLI with two workers and the embedded S3 (boto3, moto[s3], flask, flask-cors) ...
    "tests/server/test_e2e.py::test_two_workers_with_embedded_s3_answer_consistently",
    # ... and S3 reads and writes through boto3's error paths
    "tests/s3/test_s3_storage.py",
    # the eigen_mock plugin in a separate pytest; pytest-base-url beside eigen_contract; import costs
    "tests/testing/test_pytest_plugin.py",
    "tests/harness/test_plugin_options.py",
    "tests/harness/test_plugin_imports.py",
    # the core without the extras: what serves, what names its extra
    "tests/testing/test_extras.py",
    # schemathesis, hypothesis, requests, boto3: the contract suite against a live mock with an S3
    "tests/harness/test_suite_vs_mock.py::test_the_mock_passes_every_check",
)


def uv(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "uv"), *args], cwd=ROOT, check=True)


def prepare(name: str) -> Path:
    """The venv for ``name``, synced to that resolution of pyproject.toml; returns its python."""
    venv = ROOT / f".venv-{name}"
    python = venv / "bin" / "python"
    if not python.exists():
        uv("venv", "--quiet", "--python", sys.executable, str(venv))
    pins = venv / "requirements.txt"
    extras = [arg for extra in EXTRAS for arg in ("--extra", extra)]
    uv(
        "pip",
        "compile",
        "--quiet",
        "--upgrade",
        "pyproject.toml",
        *extras,
        "--resolution",
        RESOLUTIONS[name],
        "--python",
        str(python),
        "--no-header",
        "-o",
        str(pins),
    )
    uv("pip", "sync", "--quiet", "--python", str(python), str(pins))
    uv("pip", "install", "--quiet", "--no-deps", "--python", str(python), "-e", ".")
    return python


def direct_versions(python: Path) -> str:
    """The versions this run resolved for what pyproject.toml names directly, on one line."""
    names = [
        "starlette",
        "uvicorn",
        "httpx",
        "pillow",
        "jsonschema-rs",
        "boto3",
        "moto",
        "schemathesis",
        "hypothesis",
        "pytest",
    ]
    script = "import sys, importlib.metadata as m; print(' '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))"
    done = subprocess.run([str(python), "-c", script, *names], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main(names: list[str]) -> int:
    """Prepare each venv, then run the smoke tests of all at once (each is mostly one busy core)."""
    began = time.monotonic()
    pythons = {name: prepare(name) for name in names}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    runs = {}
    for name, python in pythons.items():
        print(f"== {name}: {direct_versions(python)}", flush=True)
        log = (ROOT / f".venv-{name}" / "smoke.log").open("w")
        runs[name] = (
            subprocess.Popen(
                [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=ci", *SMOKE],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log,
        )
    failed = []
    for name, (process, log) in runs.items():
        code = process.wait(timeout=1200)
        log.close()
        output = Path(log.name).read_text(encoding="utf-8", errors="replace")
        print(output if code else output.strip().splitlines()[-1], flush=True)
        print(f"== {name}: exit {code}", flush=True)
        if code:
            failed.append(name)
    print(f"== ranges: {time.monotonic() - began:.0f} s", flush=True)
    if failed:
        print(f"ranges: the smoke tests failed on {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(RESOLUTIONS)))
