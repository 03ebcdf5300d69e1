"""The servers under test, each started as its own process group on 127.0.0.1 and stopped by id.

* ``mock``: ``python -m mock_server serve --workers N --no-s3 --log-level warning``, the way a
  user runs it (no S3: no scenario writes to S3).
* ``ceiling``: ``benchmarks.ceiling`` on the same uvicorn, with the same worker count.
* ``prism``: Stoplight Prism (one Node process) mocking ``openapi/eigen.yaml``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from . import prism, procinfo
from .ceiling import RESPONSE_ENV

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "eigen.yaml"
GENERATE = "/api/v1/generate"


class ServerError(RuntimeError):
    """A server did not start, or answered wrongly."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    kind: str
    workers: int
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{GENERATE}"

    def worker_pids(self) -> list[int]:
        """The processes that answer requests: uvicorn's spawned workers, or the server itself."""
        if self.workers == 1:
            return [self.process.pid]
        return [pid for pid in procinfo.children(self.process.pid) if "spawn_main" in procinfo.cmdline(pid)]

    def all_pids(self) -> list[int]:
        return [self.process.pid, *procinfo.children(self.process.pid)]

    def peak_rss_mib(self) -> float:
        """The largest peak RSS (VmHWM) among the workers."""
        return max((procinfo.peak_rss_mib(pid) for pid in self.worker_pids()), default=0.0)

    def cpu_seconds(self) -> float:
        return procinfo.cpu_seconds(self.all_pids())

    def wait_idle(self, timeout: float, quiet_cpu_s: float = 0.01, window_s: float = 0.25) -> bool:
        """Wait until the server stops working off requests that a finished load left queued
        (wrk closes its connections, but the server may still be rendering their answers), so
        that one run's backlog does not count against the next. False if it is still busy."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(window_s)
            after = self.cpu_seconds()
            if after - before <= quiet_cpu_s:
                return True
            before = after
        return False

    def wait_ready(self, timeout: float) -> None:
        """Wait until the port answers HTTP and every worker process exists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.kind} exited with {self.process.returncode}; see {self.log}")
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=2.0)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.05)
        raise ServerError(f"{self.kind} did not answer within {timeout:g} s; see {self.log}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the server's own process group (uvicorn stops its workers), then SIGKILL."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)


def _environment(extra: dict[str, str]) -> dict[str, str]:
    # The user's EIGEN_MOCK_* settings would change what is measured: run with the defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EIGEN_MOCK_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def _spawn(kind: str, workers: int, port: int, command: list[str], logdir: Path, env: dict[str, str]) -> Server:
    log = logdir / f"{kind}-{workers}w-{port}.log"
    with log.open("wb") as sink:
        # A session of its own: stop() signals this process group, and nothing else.
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
        )
    return Server(kind, workers, port, process, log)


def start_mock(workers: int, logdir: Path, timeout: float = 60.0) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "mock_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-s3",
        "--log-level",
        "warning",
    ]
    server = _spawn("mock", workers, port, command, logdir, _environment({}))
    return _ready(server, timeout)


def start_ceiling(workers: int, response: Path, logdir: Path, timeout: float = 60.0) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "benchmarks.ceiling",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    server = _spawn("ceiling", workers, port, command, logdir, _environment({RESPONSE_ENV: str(response)}))
    return _ready(server, timeout)


def start_prism(executable: Path, logdir: Path, timeout: float = 120.0) -> Server:
    port = free_port()
    server = _spawn("prism", 1, port, prism.command(executable, SPEC, port), logdir, _environment({}))
    return _ready(server, timeout)


def _ready(server: Server, timeout: float) -> Server:
    try:
        server.wait_ready(timeout)
    except BaseException:
        server.stop()
        raise
    return server
