"""Fixture start-up: ``MockServer(s3=True)`` against a bare moto ``ThreadedMotoServer``.

Each trial runs in a fresh interpreter (imports are not yet cached, as at the start of a test
session) and reports two times: importing the modules, and starting until both endpoints answer
an HTTP request. Both trials import ``moto.server`` before the clock starts: the bare trial needs
it to name ``ThreadedMotoServer``, and ``MockServer`` would otherwise import it inside ``start()``
(lazily, so that a mock without S3 never pays for it), which would time an import on one side
only. The two kinds alternate, so drift hits both alike; medians are reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from .stats import median

_MOCK = """
import json, time, urllib.error, urllib.request
t0 = time.perf_counter()
from mock_server.testing import MockServer
import moto.server  # what the bare trial imports before its clock (MockServer imports it in start())
t1 = time.perf_counter()
server = MockServer(s3=True).start()
def answer(url):
    try:
        urllib.request.urlopen(url, timeout=10).read()
    except urllib.error.HTTPError:
        pass  # an HTTP error status is an answer
answer(server.s3_endpoint_url + "/")
answer(server.url + "/")
t2 = time.perf_counter()
server.stop()
print(json.dumps({"import_s": t1 - t0, "start_s": t2 - t1}))
"""

_MOTO = """
import json, time, urllib.request
t0 = time.perf_counter()
from moto.server import ThreadedMotoServer
t1 = time.perf_counter()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
urllib.request.urlopen(f"http://{host}:{port}/", timeout=10).read()
t2 = time.perf_counter()
server.stop()
print(json.dumps({"import_s": t1 - t0, "start_s": t2 - t1}))
"""


@dataclass(frozen=True, slots=True)
class Startup:
    kind: str
    import_s: float
    start_s: float
    trials: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "import_s": round(self.import_s, 4),
            "start_s": round(self.start_s, 4),
            "trials": self.trials,
        }


def _trial(code: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(trials: int) -> tuple[Startup, Startup]:
    """(the mock's fixture, bare moto), medians over ``trials`` fresh processes each."""
    runs: dict[str, list[dict[str, float]]] = {"mock": [], "moto": []}
    for _ in range(trials):
        runs["moto"].append(_trial(_MOTO))
        runs["mock"].append(_trial(_MOCK))
    mock, moto = (
        Startup(kind, median([r["import_s"] for r in runs[kind]]), median([r["start_s"] for r in runs[kind]]), trials)
        for kind in ("mock", "moto")
    )
    return mock, moto
