"""Smoke tests of the benchmark machinery: fast, no timing assertions (the benchmark judges speed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import loadgen, matrix, report, scenarios, stats, targets
from benchmarks.growth import Cost
from benchmarks.matrix import Row, _Entrant, _Round, _rows, warmup_connections
from benchmarks.servers import Server
from benchmarks.soak import Soak
from benchmarks.startup import Startup

values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200)
ranks = st.floats(0.01, 100)


@given(values, ranks)
def test_percentile_is_an_observed_value_with_the_nearest_rank(data: list[float], p: float) -> None:
    result = stats.percentile(data, p)
    assert result in data
    share_at_or_below = sum(v <= result for v in data) / len(data)
    share_below = sum(v < result for v in data) / len(data)
    assert share_at_or_below >= p / 100 - 1e-9  # at least p% of the values are covered ...
    assert share_below < p / 100 + 1e-9  # ... and not more than needed


@given(values, ranks, ranks)
def test_percentile_grows_with_the_rank(data: list[float], p: float, q: float) -> None:
    low, high = sorted((p, q))
    assert stats.percentile(data, low) <= stats.percentile(data, high)


def test_percentile_edges() -> None:
    assert stats.percentile([3, 1, 2], 100) == 3
    assert stats.median([5]) == 5
    with pytest.raises(ValueError, match="no values"):
        stats.percentile([], 50)
    assert stats.ratio(1, 0) is None


@given(st.integers(1, 64))
def test_the_warm_up_reaches_every_worker_but_by_a_very_rare_chance(workers: int) -> None:
    connections = warmup_connections(workers)
    # The kernel picks a worker's socket for each connection by a hash: as good as at random.
    chance_some_worker_missed = workers * (1 - 1 / workers) ** connections
    assert connections >= workers and chance_some_worker_missed < 1e-4


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def tiny_server() -> Iterator[str]:
    _Recorder.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/generate"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(loadgen.wrk_path() is None, reason="wrk is not installed (make bench installs it)")
def test_wrk_sends_a_new_seed_per_request_and_reports(tiny_server: str, tmp_path: Path) -> None:
    scenario = scenarios.build(edit_source=b"\x89PNG fake")[0]
    template = scenario.template(tmp_path, seed_start=1000)
    result = loadgen.run(tiny_server, template, concurrency=2, duration_s=1, workdir=tmp_path)
    assert result.requests > 0 and result.error_count == 0
    assert result.p50_ms <= result.p99_ms
    seeds = [json.loads(body)["seed"] for body in _Recorder.bodies[:50]]
    assert len(set(seeds)) == len(seeds) and min(seeds) >= 1000


def test_load_generator_refuses_other_hosts(tmp_path: Path) -> None:
    template = loadgen.RequestTemplate({}, tmp_path / "body")
    with pytest.raises(loadgen.LoadGenError, match="refusing"):
        loadgen.run("http://10.0.0.1:80/", template, concurrency=1, duration_s=1, workdir=tmp_path)


def test_wrk_output_is_parsed() -> None:
    line = (
        'WRK_RESULT {"requests":10,"duration_us":2000000,"p50_us":1500,"p99_us":9000,'
        '"status":2,"connect":0,"read":1,"write":0,"timeout":0}'
    )
    result = loadgen.parse_output("Running 2s test\n" + line + "\n", client_cpu_s=0.5)
    assert (result.rps, result.p50_ms, result.p99_ms) == (5.0, 1.5, 9.0)
    assert result.errors == {"status": 2, "read": 1} and result.error_count == 3
    with pytest.raises(loadgen.LoadGenError):
        loadgen.parse_output("nothing")


def test_bodies_split_around_the_seed() -> None:
    built = {s.name: s for s in scenarios.build(edit_source=b"\x89PNG fake")}
    assert json.loads(built["t2i-new-seed"].body(77))["seed"] == 77
    assert built["t2i-repeat"].body(1) == built["t2i-repeat"].body(2)
    edit = built["edit-1mp-upload"].body(77)
    assert b'name="seed"\r\n\r\n77\r\n' in edit and edit.endswith(f"--{scenarios.BOUNDARY}--\r\n".encode())


def _load(rps: float, p50: float = 1.0, p99: float = 2.0) -> loadgen.LoadResult:
    return loadgen.LoadResult(requests=int(rps * 10), duration_s=10.0, p50_ms=p50, p99_ms=p99, client_cpu_s=1.0)


def test_report_has_the_table_the_verdicts_and_the_raw_json(tmp_path: Path) -> None:
    chosen = scenarios.build(edit_source=b"\x89PNG fake")
    rows = [
        Row("t2i-new-seed", "ceiling", 2, 32, _load(2000)),
        Row("t2i-new-seed", "mock", 2, 32, _load(900, 10, 30)),
        Row("t2i-new-seed", "prism", 1, 32, _load(600)),
        Row("t2i-new-seed", "ceiling", 1, 32, _load(1500)),
        Row("edit-1mp-upload", "prism", 1, 32, note="not served: 400"),
    ]
    soak = Soak(10.0, _load(100), [(1.0, 50.0), (2.0, 60.0), (10.0, 62.0)])
    meta = {
        "date": "today",
        "quick": True,
        "duration_s": 10,
        "warmup_s": 1,
        "elapsed_s": 60,
        "environment": {"CPU": "2 cores"},
    }
    started = (Startup("mock", 0.5, 0.3, 1), Startup("moto", 0.4, 0.2, 1))
    results = report.Results(
        meta=meta, scenarios=chosen, rows=rows, costs=[Cost("t2i", 1.0, 0.8, 5)], startup=started, soak=soak
    )
    results.verdicts = [
        targets.beats_prism(rows, chosen[0], (32,)),
        targets.tail(rows, chosen),
        targets.soak(soak),
        targets.startup(*started),
    ]
    doc = tmp_path / "docs" / "benchmarks.md"
    raw = tmp_path / "bench.json"
    report.write(results, doc, raw)
    text = doc.read_text()
    assert "| t2i-new-seed | 32 | mock | 2 | 900.0 | 0.45 |" in text
    assert "| t2i-new-seed | 32 | prism | 1 (node) | 600.0 | 0.40 |" in text
    assert "not served: 400" in text
    verdicts = {v["target"]: v["status"] for v in json.loads(raw.read_text())["targets"]}
    assert list(verdicts.values()) == ["met", "met", "met", "met"]
    assert "x1.50" in results.verdicts[0].value


class _StillServer:
    """Enough of ``servers.Server`` for the rows of a race."""

    workers = 1

    def peak_rss_mib(self) -> float:
        return 42.0


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.booleans()), min_size=1, max_size=7))
def test_a_row_is_the_median_round_with_the_errors_of_every_round(rounds: list[tuple[int, int, bool]]) -> None:
    measured = [
        _Round(
            loadgen.LoadResult(requests, 1.0, float(requests), 1.0, {"read": errors} if errors else {}),
            cpu_ms_per_request=float(n),
            idle=idle,
        )
        for n, (requests, errors, idle) in enumerate(rounds)
    ]
    entrant = _Entrant("mock", cast(Server, _StillServer()), note="a note", rounds={32: measured})
    empty, row = _rows(entrant, scenarios.build(edit_source=b"\x89PNG fake")[0], (1, 32))
    assert empty.load is None and empty.round_rps == ()
    assert row.load is not None and row.round_rps == tuple(float(r) for r, _, _ in rounds)
    assert row.load.rps == stats.median([float(r) for r, _, _ in rounds])
    assert row.load.p50_ms == row.load.rps  # the latency of the round chosen, not of another
    assert row.server_cpu_ms_per_request is not None and rounds[int(row.server_cpu_ms_per_request)][0] == row.load.rps
    assert row.load.error_count == sum(errors for _, errors, _ in rounds)
    assert row.note == "a note" if all(idle for _, _, idle in rounds) else "still busy" in row.note
    assert row.peak_rss_mib == 42.0


def test_prism_alone_gets_the_longer_warm_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    warmed: dict[str, float] = {}

    def join(
        stack: object, kind: str, start: object, scenario: object, ctx: object, warmup_s: float, on_probe: object = None
    ) -> str:
        warmed[kind] = warmup_s
        return "not started in this test"

    monkeypatch.setattr(matrix, "_join", join)
    (tmp_path / "t2i-new-seed.response.json").write_text("{}")  # as if the mock had answered: the ceiling joins
    plan = matrix.Plan(duration_s=1.0, warmup_s=2.0, prism_warmup_s=12.0)
    ctx = matrix.Context(plan, tmp_path, tmp_path, "wrk", prism=tmp_path / "prism")
    rows = matrix._run_group(scenarios.build(edit_source=b"\x89PNG fake")[0], 2, True, ctx)
    assert warmed == {"mock": 2.0, "ceiling": 2.0, "prism": 12.0}
    assert {row.note for row in rows} == {"not started in this test"}


def test_a_server_that_stops_serving_keeps_the_rounds_it_ran() -> None:
    ran = [_Round(loadgen.LoadResult(100, 1.0, 1.0, 2.0), cpu_ms_per_request=1.0, idle=True)]
    entrant = _Entrant(
        "prism",
        cast(Server, _StillServer()),
        note="example answers",
        rounds={1: ran, 32: ran},
        failure="not served: timeout",
        failed_at=32,
    )
    scenario = scenarios.build(edit_source=b"\x89PNG fake")[0]
    first, failed, never = _rows(entrant, scenario, (1, 32, 64))
    assert (first.note, first.load) == ("example answers", ran[0].load)
    assert failed.note == "not served: timeout" and failed.round_rps == (100.0,)
    assert never.load is None and never.note == "not served: timeout"
