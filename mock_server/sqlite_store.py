"""``SqliteStore``: the ``StateStore`` shared by the worker processes of one server.

Why SQLite: every worker of ``eigen-mock serve --workers N`` must show one journal, one fault
queue (a one-shot fault fires once, not once per worker), one rate-limit count and one model
library. A file in a directory the CLI creates gives that with the standard library alone, with
transactions for the atomic updates and no server to run. WAL mode lets readers go on while one
worker writes; every statement is small, so a write waits at most a few milliseconds for another.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .store import T, Updater

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_log ON logs (log, seq);
CREATE INDEX IF NOT EXISTS logs_by_key ON logs (log, key);
CREATE TABLE IF NOT EXISTS docs (name TEXT PRIMARY KEY, text TEXT NOT NULL);
"""
_BUSY_TIMEOUT_SECONDS = 10.0
#: A log is trimmed to its limit on every TRIM_EVERY-th append (of each process): trimming scans
#: ``limit`` index entries, too much to pay on every request. Readers pass the limit, so they never
#: see the extra rows, of which there are fewer than TRIM_EVERY per worker.
TRIM_EVERY = 32


class SqliteStore:
    """``StateStore`` in one SQLite file; open one per process, all on the same ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._appends: dict[str, int] = {}
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a read-modify-write takes the
        # write lock before it reads and two workers can never both act on the same old value.
        self._db = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # The state lives as long as the server (a temporary directory): surviving a power cut
            # is worth nothing, and not syncing makes each small write transaction several times cheaper.
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.executescript(_SCHEMA)

    def append(self, log: str, key: str, text: str, limit: int) -> int:
        with self._lock, self._transaction():
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
        with self._lock:
            self._db.execute("DELETE FROM logs WHERE log = ?", (log,))

    def read(self, doc: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM docs WHERE name = ?", (doc,)).fetchone()
        return None if row is None else str(row[0])

    def update(self, doc: str, updater: Updater[T]) -> T:
        with self._lock, self._transaction():
            row = self._db.execute("SELECT text FROM docs WHERE name = ?", (doc,)).fetchone()
            new, result = updater(None if row is None else str(row[0]))
            if new is None:
                self._db.execute("DELETE FROM docs WHERE name = ?", (doc,))
            else:
                self._db.execute("INSERT OR REPLACE INTO docs (name, text) VALUES (?, ?)", (doc, new))
            return result

    def reset(self) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM logs")
            self._db.execute("DELETE FROM docs")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the body raised."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
