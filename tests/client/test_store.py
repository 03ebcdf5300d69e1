"""Both state stores behave the same, logs stay bounded, and updates are atomic across processes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.state.sqlite_store import SqliteStore
from mock_server.state.store import StateStore

records = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.text(max_size=20)), max_size=40)


@given(appended=records, limit=st.integers(min_value=0, max_value=10))
def test_a_log_keeps_exactly_the_newest_records_up_to_its_limit(
    state_store: StateStore, appended: list[tuple[str, str]], limit: int
) -> None:
    state_store.reset()
    sequence = [state_store.append("log", key, text, limit) for key, text in appended]
    assert sequence == sorted(sequence)  # sequence numbers only grow
    kept = state_store.entries("log", limit=limit)
    assert [text for _, text in kept] == [text for _, text in appended][len(appended) - min(limit, len(appended)):]
    assert len(state_store.entries("log")) <= 2 * limit  # the rest is dropped (a writer keeps at most twice)


@given(appended=records)
def test_entries_since_and_limit_select_the_newest(state_store: StateStore, appended: list[tuple[str, str]]) -> None:
    state_store.reset()
    seqs = [state_store.append("log", key, text, 100) for key, text in appended]
    middle = seqs[len(seqs) // 2] if seqs else 0
    assert [seq for seq, _ in state_store.entries("log", since=middle)] == [seq for seq in seqs if seq > middle]
    assert [seq for seq, _ in state_store.entries("log", limit=3)] == seqs[-3:]


def test_find_gives_the_newest_record_with_a_key_and_logs_are_separate(state_store: StateStore) -> None:
    state_store.append("log", "k", "old", 10)
    state_store.append("log", "k", "new", 10)
    state_store.append("other", "k", "elsewhere", 10)
    assert state_store.find("log", "k") == "new"
    assert state_store.find("log", "missing") is None
    state_store.clear("log")
    assert state_store.entries("log") == [] and state_store.find("other", "k") == "elsewhere"


def _refuse(text: str | None) -> tuple[str | None, None]:
    raise ValueError("refused")


def test_documents_update_atomically_and_a_failed_update_changes_nothing(state_store: StateStore) -> None:
    assert state_store.update("doc", lambda text: (str(int(text or 0) + 1), "done")) == "done"
    with pytest.raises(ValueError, match="refused"):
        state_store.update("doc", _refuse)
    assert state_store.read("doc") == "1"
    state_store.update("doc", lambda text: (None, None))
    assert state_store.read("doc") is None


_INCREMENT = """
import sys
from pathlib import Path
from mock_server.state.sqlite_store import SqliteStore
state_store = SqliteStore(Path(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    state_store.update("counter", lambda text: (str(int(text or 0) + 1), None))
state_store.close()
"""


def test_sqlite_updates_from_several_processes_are_never_lost(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteStore(path).close()
    workers = [subprocess.Popen([sys.executable, "-c", _INCREMENT, str(path), "100"]) for _ in range(3)]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0]
    state_store = SqliteStore(path)
    assert json.loads(state_store.read("counter") or "0") == 300
    state_store.close()


operations = st.lists(
    st.tuples(st.sampled_from(["set", "delete", "read", "reset"]), st.integers(0, 1), st.sampled_from(["a", "b"]),
              st.text(max_size=5)),
    max_size=25,
)  # fmt: skip


def _setting(text: str) -> Callable[[str | None], tuple[str | None, None]]:
    return lambda _: (text, None)


@given(steps=operations)
def test_every_worker_reads_the_documents_any_worker_wrote_last(tmp_path_factory: pytest.TempPathFactory,
                                                                steps: list[tuple[str, int, str, str]]) -> None:
    # Workers keep the documents they read until another worker commits one: never a stale read.
    path = tmp_path_factory.mktemp("docs") / "state.sqlite3"
    workers, model = [SqliteStore(path), SqliteStore(path)], dict[str, str]()
    for action, index, doc, text in steps:
        worker = workers[index]
        if action == "set":
            worker.update(doc, _setting(text))
            model[doc] = text
        elif action == "delete":
            worker.update(doc, lambda _: (None, None))
            model.pop(doc, None)
        elif action == "reset":
            worker.reset()
            model.clear()
        assert [w.read(doc) for w in workers] == [model.get(doc)] * 2
    for worker in workers:
        worker.close()
