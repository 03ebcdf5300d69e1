"""The workers' shared logs: every handle sees one bounded log, numbered in order, and a reader
that follows it with ``since`` never misses a record, even while other processes write."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.state.segment_logs import SegmentLogs

_WRITER = """
import sys
from pathlib import Path
from mock_server.state.segment_logs import SegmentLogs
logs = SegmentLogs(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    logs.append("journal", f"{sys.argv[3]}-{i}", f"{sys.argv[3]} record {i} " + "x" * (i % 300), int(sys.argv[4]))
logs.close()
"""


def _writers(prefix: Path, count: int, records: int, limit: int) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-c", _WRITER, str(prefix)]
    return [subprocess.Popen([*command, str(records), f"w{n}", str(limit)]) for n in range(count)]


def test_records_from_several_processes_are_numbered_once_each_and_kept_whole(tmp_path: Path) -> None:
    prefix = tmp_path / "state"
    writers = _writers(prefix, 3, 400, 10_000)
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0]
    logs = SegmentLogs(prefix)
    entries = logs.entries("journal")
    assert [seq for seq, _ in entries] == list(range(1, 1201))
    for n in range(3):
        mine = [text for _, text in entries if text.startswith(f"w{n} ")]
        assert mine == [f"w{n} record {i} " + "x" * (i % 300) for i in range(400)]  # in order, none torn
    assert logs.find("journal", "w1-399") == "w1 record 399 " + "x" * 99
    logs.close()


def test_a_reader_following_with_since_misses_nothing_while_processes_write(tmp_path: Path) -> None:
    prefix = tmp_path / "state"
    reader = SegmentLogs(prefix)
    writers = _writers(prefix, 2, 1500, 10_000)
    seen: list[int] = []

    def follow() -> None:
        seen.extend(seq for seq, _ in reader.entries("journal", since=seen[-1] if seen else 0))

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(w.poll() is None for w in writers):
        follow()
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    follow()
    assert seen == list(range(1, 3001))  # each once, in order: no record appeared after a newer one was read
    reader.close()


def test_every_process_keeps_its_newest_records_up_to_the_limit_and_at_most_twice(tmp_path: Path) -> None:
    prefix = tmp_path / "state"
    writers = _writers(prefix, 2, 250, 40)
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    logs = SegmentLogs(prefix)
    everything = logs.entries("journal")
    assert 80 <= len(everything) <= 160
    newest = logs.entries("journal", limit=40)
    assert [seq for seq, _ in newest] == list(range(461, 501))
    logs.close()


operations = st.lists(
    st.tuples(st.sampled_from(["append", "append", "append", "clear", "clear_all"]), st.integers(0, 1),
              st.sampled_from(["a", "b"]), st.text(max_size=8)),
    max_size=40,
)  # fmt: skip


@given(steps=operations, limit=st.integers(min_value=0, max_value=4))
def test_two_handles_always_show_the_same_newest_records(tmp_path_factory: pytest.TempPathFactory,
                                                         steps: list[tuple[str, int, str, str]], limit: int) -> None:
    prefix = tmp_path_factory.mktemp("logs") / "state"
    handles = [SegmentLogs(prefix), SegmentLogs(prefix)]
    model: list[tuple[int, str, str, str]] = []  # (seq, log, key, text)
    for action, index, log, text in steps:
        if action == "append":
            seq = handles[index].append(log, text[:2], text, limit)
            assert not model or seq > model[-1][0]
            model.append((seq, log, text[:2], text))
        else:
            handles[index].clear(log if action == "clear" else None)
            model = [m for m in model if action == "clear" and m[1] != log]
        for name in ("a", "b"):
            kept = [m for m in model if m[1] == name][-limit:] if limit else []
            for handle in handles:
                assert handle.entries(name, limit=limit) == [(seq, text) for seq, _, _, text in kept]
                for key in {m[2] for m in kept}:  # the newest record with a key among those kept is found
                    assert handle.find(name, key) == [text for _, _, k, text in kept if k == key][-1]
    for handle in handles:
        handle.close()


def test_the_logs_of_stopped_processes_are_dropped_and_those_of_running_ones_kept(tmp_path: Path) -> None:
    prefix = tmp_path / "state"
    assert [writer.wait(timeout=60) for writer in _writers(prefix, 1, 5, 100)] == [0]
    running = SegmentLogs(prefix)
    running.append("journal", "mine", "still here", 100)
    running.drop_stopped_writers()
    assert [text for _, text in running.entries("journal")] == ["still here"]
    running.close()
