"""``SqliteStore``: the ``StateStore`` shared by the worker processes of one server.

Every worker of ``eigen-mock serve --workers N`` must show one journal, one fault queue (a
one-shot fault fires once, not once per worker), one rate-limit count and one model library. Files
in a directory the CLI creates give that with the standard library alone and no server to run:

* *Documents* (faults, rate limit, model library) live in SQLite at ``path``, whose transactions
  make each ``update`` atomic. WAL mode lets readers go on while one worker writes. They are read
  several times per request but change rarely, so each worker keeps the documents it read until
  the documents' version changes: a counter that every worker maps into memory, bumped by each
  writer after it commits (still in the writers' turn). Checking it is a memory read, where a
  query, or even ``PRAGMA data_version``, is a call into SQLite per document.
* *Logs* (the journal, the gallery's thumbnails) are append-only files beside it
  (``segment_logs``): every request appends to the journal, and a ``write`` is far cheaper than
  an INSERT.

Writers take turns through an ``flock`` (``interprocess.WriterTurn``), so SQLite never finds the
database busy: its busy handler would sleep 1, 2, 5… milliseconds and retry, stalling the worker's
whole event loop for a write far shorter than the sleep.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from mock_server.state.interprocess import SharedCounters, WriterTurn
from mock_server.state.segment_logs import SegmentLogs
from mock_server.state.store import T, Updater

_DOCS_SCHEMA = "CREATE TABLE IF NOT EXISTS docs (name TEXT PRIMARY KEY, text TEXT NOT NULL);"
_BUSY_TIMEOUT_SECONDS = 10.0


class SqliteStore:
    """``StateStore`` in files at and beside ``path``; open one per process, all on the same ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._turn = WriterTurn(path.with_name(f"{path.stem}.lock"))
        with self._turn:
            self._docs = _connect(path, _DOCS_SCHEMA)
        self._docs_version = SharedCounters(path.with_name(f"{path.stem}-docs.version"))
        self._logs = SegmentLogs(path.with_name(path.stem))
        #: Documents as last read or written here, valid while the documents' version is this.
        self._cached: dict[str, str | None] = {}
        self._version: int | None = None

    def append(self, log: str, key: str, text: str, limit: int) -> int:
        return self._logs.append(log, key, text, limit)

    def amend(self, log: str, seq: int, key: str, text: str) -> bool:
        return self._logs.amend(log, seq, key, text)

    def entries(self, log: str, *, since: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        return self._logs.entries(log, since=since, limit=limit)

    def find(self, log: str, key: str) -> str | None:
        return self._logs.find(log, key)

    def clear(self, log: str) -> None:
        self._logs.clear(log)

    def drop_stopped_writers(self) -> None:
        """Forget the logs of processes that have stopped (before a new server's workers start)."""
        self._logs.drop_stopped_writers()

    def read(self, doc: str) -> str | None:
        with self._lock:
            version = self._docs_version.value()
            if version != self._version:  # a worker changed a document: forget them all
                self._cached.clear()
                self._version = version
            if doc not in self._cached:
                self._cached[doc] = self._select(doc)
            return self._cached[doc]

    def update(self, doc: str, updater: Updater[T]) -> T:
        with self._lock:
            with self._turn:
                with _Transaction(self._docs):
                    new, result = updater(self._select(doc))
                    if new is None:
                        self._docs.execute("DELETE FROM docs WHERE name = ?", (doc,))
                    else:
                        self._docs.execute("INSERT OR REPLACE INTO docs (name, text) VALUES (?, ?)", (doc, new))
                self._changed_documents()
            self._cached[doc] = new
            return result

    def reset(self) -> None:
        self._logs.clear()
        with self._lock, self._turn:
            with _Transaction(self._docs):
                self._docs.execute("DELETE FROM docs")
            self._changed_documents()
            self._cached.clear()

    def _changed_documents(self) -> None:
        """After a commit, in the writers' turn: bump the version, and drop what we kept if
        another worker had changed documents since we last looked."""
        before = self._docs_version.value()
        if before != self._version:
            self._cached.clear()
        self._version = self._docs_version.bump()

    def close(self) -> None:
        self._logs.close()
        with self._lock:
            self._docs.close()
            self._turn.close()
            self._docs_version.close()

    def _select(self, doc: str) -> str | None:
        row = self._docs.execute("SELECT text FROM docs WHERE name = ?", (doc,)).fetchone()
        return None if row is None else str(row[0])


def _connect(path: Path, schema: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a read-modify-write takes the
    # write lock before it reads and two workers can never both act on the same old value.
    db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # The state lives as long as the server (a temporary directory): surviving a power cut is
    # worth nothing, and not syncing makes each small write transaction several times cheaper.
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(schema)
    return db


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the body raised."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
