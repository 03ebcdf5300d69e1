"""``SqliteStore``: the ``StateStore`` shared by the worker processes of one server.

Why SQLite: every worker of ``eigen-mock serve --workers N`` must show one journal, one fault
queue (a one-shot fault fires once, not once per worker), one rate-limit count and one model
library. A file in a directory the CLI creates gives that with the standard library alone, with
transactions for the atomic updates and no server to run. WAL mode lets readers go on while one
worker writes; every statement is small, so a write waits at most a few milliseconds for another.

Writers take turns through an ``flock`` on a lock file beside the database, so SQLite never finds
the database busy: its busy handler would sleep 1, 2, 5… milliseconds and retry, stalling the
worker's whole event loop for a write that takes tens of microseconds. A kernel lock wakes the
waiter as soon as the other write is done.

Documents (faults, rate limit, model library) are read several times per request but change
rarely, so each worker keeps the documents it read until the documents' version changes: a
counter in a file that every worker maps into memory, bumped by each writer after it commits
(still holding the writers' turn). Checking it is a memory read, where a query, or even
``PRAGMA data_version``, costs several microseconds of SQLite per document.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import sqlite3
import threading
from pathlib import Path
from types import TracebackType

from .store import T, Updater

_LOGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_log ON logs (log, seq);
CREATE INDEX IF NOT EXISTS logs_by_key ON logs (log, key);
"""
_DOCS_SCHEMA = "CREATE TABLE IF NOT EXISTS docs (name TEXT PRIMARY KEY, text TEXT NOT NULL);"
_BUSY_TIMEOUT_SECONDS = 10.0
#: A log is trimmed to its limit on every TRIM_EVERY-th append (of each process): trimming scans
#: ``limit`` index entries, too much to pay on every request. Readers pass the limit, so they never
#: see the extra rows, of which there are fewer than TRIM_EVERY per worker.
TRIM_EVERY = 32


class SqliteStore:
    """``StateStore`` in SQLite files at and beside ``path``; open one per process, all on the same ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._appends: dict[str, int] = {}
        self._turn = _WriterTurn(path.with_name(f"{path.stem}.lock"))
        with self._turn:
            self._db = _connect(path, _LOGS_SCHEMA)
            self._docs = _connect(docs_path(path), _DOCS_SCHEMA)
        self._docs_version = _SharedCounter(path.with_name(f"{path.stem}-docs.version"))
        #: Documents as last read or written here, valid while the documents' version is this.
        self._cached: dict[str, str | None] = {}
        self._version: int | None = None

    def append(self, log: str, key: str, text: str, limit: int) -> int:
        # One autocommit INSERT is atomic by itself, and the trim need not be atomic with it
        # (readers pass the limit): no BEGIN/COMMIT round trips, a shorter hold on the write lock.
        with self._lock, self._turn:
            cursor = self._db.execute("INSERT INTO logs (log, key, text) VALUES (?, ?, ?)", (log, key, text))
            seq = int(cursor.lastrowid or 0)
            # Counted per log and process (sequence numbers are shared by all logs, so they will not do).
            self._appends[log] = self._appends.get(log, 0) + 1
            if self._appends[log] % TRIM_EVERY == 0 or limit <= 0:
                self._db.execute(
                    "DELETE FROM logs WHERE log = ? AND seq <= "
                    "(SELECT seq FROM logs WHERE log = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                    (log, log, max(limit, 0)),
                )
            return seq

    def entries(self, log: str, *, since: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, text FROM logs WHERE log = ? AND seq > ? ORDER BY seq DESC LIMIT ?",
                (log, since, -1 if limit is None else limit),
            ).fetchall()
        return [(int(seq), str(text)) for seq, text in reversed(rows)]

    def find(self, log: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text FROM logs WHERE log = ? AND key = ? ORDER BY seq DESC LIMIT 1", (log, key)
            ).fetchone()
        return None if row is None else str(row[0])

    def clear(self, log: str) -> None:
        with self._lock, self._turn:
            self._db.execute("DELETE FROM logs WHERE log = ?", (log,))

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
        with self._lock, self._turn:
            self._db.execute("DELETE FROM logs")
            with _Transaction(self._docs):
                self._docs.execute("DELETE FROM docs")
            self._changed_documents()
            self._cached.clear()

    def _changed_documents(self) -> None:
        """After a commit, holding the writers' turn: bump the version, and drop what we kept if
        another worker had changed documents since we last looked."""
        before = self._docs_version.value()
        if before != self._version:
            self._cached.clear()
        self._version = self._docs_version.bump()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._docs.close()
            self._turn.close()
            self._docs_version.close()

    def _select(self, doc: str) -> str | None:
        row = self._docs.execute("SELECT text FROM docs WHERE name = ?", (doc,)).fetchone()
        return None if row is None else str(row[0])


def docs_path(path: Path) -> Path:
    """The documents' file, beside the logs' file ``path``."""
    return path.with_name(f"{path.stem}-docs{path.suffix}")


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


class _SharedCounter:
    """A 64-bit counter in a file that every process maps into memory (reading it makes no syscall).
    Only holders of the writers' turn bump it."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)  # zero, as for every process that gets here first
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)  # the mapping keeps its own reference

    def value(self) -> int:
        return int.from_bytes(self._map[:8], "little")

    def bump(self) -> int:
        value = self.value() + 1
        self._map[:8] = value.to_bytes(8, "little")
        return value

    def close(self) -> None:
        self._map.close()


class _WriterTurn:
    """An exclusive ``flock`` on ``path`` while inside ``with`` (one holder per process at a time:
    callers hold the store's thread lock first)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the body raised."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
