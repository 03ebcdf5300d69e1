"""What the numbers were measured on: machine, interpreter and the versions of every tool."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import subprocess
from pathlib import Path

from . import prism


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not installed"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe(root: Path, wrk: str) -> dict[str, str]:
    http = "httptools" if importlib.util.find_spec("httptools") else "h11 (pure Python; httptools not installed)"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio (uvloop not installed)"
    commit = _first_line(["git", "-C", str(root), "rev-parse", "--short", "HEAD"])
    dirty = _first_line(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
    return {
        "CPU": f"{os.cpu_count()} cores, {_cpu_model()}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "uvicorn": f"{_version('uvicorn')}, HTTP parser {http}, event loop {loop}",
        "Starlette / Pillow": f"{_version('starlette')} / {_version('pillow')}",
        "load generator": _first_line([wrk, "-v"]).split(" Copyright")[0],
        "Prism": f"@stoplight/prism-cli {prism.installed_version() or 'not installed'} on Node "
        + _first_line(["node", "--version"]),
        "commit": commit + (" (with uncommitted changes)" if dirty not in ("", "unknown") else ""),
    }
