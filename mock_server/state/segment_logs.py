"""Logs shared by the worker processes of one server: append-only files, a pair per log and process.

Why files and not SQLite (where the documents live): every request appends its journal record
before its answer goes out. An INSERT cost about 45 µs here, and with it the waits for the other
worker's turn: with two workers at concurrency 32 the journal took a third of the server's time.
Appending a record to a file is one ``write`` system call.

Each process (each handle) writes only its own files, ``<prefix>-log-<log>-<pid>_<n>.cur`` and
``.old``, always in the writers' turn (``WriterTurn``), and numbers each record from a counter every process maps
(``SharedCounters``), bumped only once the record is written. When ``.cur`` holds ``limit``
records it becomes ``.old`` (replacing the one before), so each process keeps at least its newest
``limit`` records and at most ``2 * limit``, and all processes together at least the log's newest
``limit``.

Readers take no lock, so a client polling the journal never stalls a request. A reader reads the
counter first and ignores records numbered above it: their write may be under way, and an older
record of another process might not be written yet, so returning one could make a client that
reads ``since`` it skip the older one. It reads each process's ``.cur`` before its ``.old``, so a
rotation in between shows a record twice (kept once), never loses one. ``clear`` empties the files
of every process; writers notice through a second counter.
"""

from __future__ import annotations

import itertools
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from mock_server.state.interprocess import SharedCounters, WriterTurn

#: A record: its number, the byte lengths of its key and text, then both in UTF-8.
_HEAD = struct.Struct("<QII")
_SEQ, _CLEARS = 0, 1  # slots of the shared counters
_SUFFIXES = (".cur", ".old")
_HANDLES = itertools.count()  #: tells apart the handles of one process (each writes its own files)


@dataclass
class _Writer:
    fd: int
    current: Path
    count: int  #: records in ``current``


@dataclass(frozen=True, slots=True)
class _Record:
    seq: int
    data: bytes
    key: slice
    text: slice

    def key_text(self) -> str:
        return _decode(self.data[self.key])

    def text_value(self) -> str:
        return _decode(self.data[self.text])


class SegmentLogs:
    """Bounded logs in files named from ``prefix``; open one per process, all on the same ``prefix``."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self._lock = threading.Lock()
        self._turn = WriterTurn(prefix.with_name(f"{prefix.name}-logs.lock"))
        self._counters = SharedCounters(prefix.with_name(f"{prefix.name}-logs.counters"), slots=2)
        self._writers: dict[str, _Writer] = {}
        self._writer_id = f"{os.getpid()}_{next(_HANDLES)}"
        self._clears = self._counters.value(_CLEARS)

    def append(self, log: str, key: str, text: str, limit: int) -> int:
        key_bytes, text_bytes = _encode(key), _encode(text)
        with self._lock, self._turn:
            seq = self._counters.value(_SEQ) + 1
            if limit > 0:
                writer = self._writer(log, limit)
                _write_all(writer.fd, _HEAD.pack(seq, len(key_bytes), len(text_bytes)) + key_bytes + text_bytes)
                writer.count += 1
            self._counters.set(seq, _SEQ)  # only now may readers return it
            return seq

    def entries(self, log: str, *, since: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
        records = [r for r in self._records(log) if r.seq > since]
        if limit is not None:
            records = records[max(len(records) - limit, 0) :]
        return [(r.seq, r.text_value()) for r in records]

    def find(self, log: str, key: str) -> str | None:
        for record in reversed(self._records(log)):
            if record.key_text() == key:
                return record.text_value()
        return None

    def clear(self, log: str | None = None) -> None:
        """Empty ``log`` (every log if ``None``) for every process."""
        pattern = f"{self.prefix.name}-log-{'*' if log is None else _name(log)}-*"
        with self._lock, self._turn:
            for path in self.prefix.parent.glob(pattern):
                if path.suffix in _SUFFIXES:
                    os.truncate(path, 0)  # not unlink: writers keep appending to their open file
            self._counters.bump(_CLEARS)
            self._notice_clears()

    def drop_stopped_writers(self) -> None:
        """Delete the files of processes that no longer run: a server that stopped left them in its
        state directory, and a new one would otherwise read them, and keep them, for ever."""
        for path in self.prefix.parent.glob(f"{self.prefix.name}-log-*"):
            pid = path.stem.rpartition("-")[2].partition("_")[0]
            if path.suffix in _SUFFIXES and pid.isdigit() and not _running(int(pid)):
                path.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            for writer in self._writers.values():
                os.close(writer.fd)
            self._writers.clear()
            self._turn.close()
            self._counters.close()

    def _writer(self, log: str, limit: int) -> _Writer:
        """This process's file for ``log``, rotated first if it is full (in the writers' turn)."""
        if self._clears != self._counters.value(_CLEARS):
            self._notice_clears()
        writer = self._writers.get(log)
        if writer is None:
            current = self.prefix.with_name(f"{self.prefix.name}-log-{_name(log)}-{self._writer_id}.cur")
            writer = self._writers[log] = _Writer(_open(current), current, 0)
        if writer.count >= limit:
            old = writer.current.with_suffix(".old")
            # Unlink, then rename: on ext4 a rename over an existing file starts writing the renamed
            # file's data out (auto_da_alloc), which can stall a request.
            old.unlink(missing_ok=True)
            os.rename(writer.current, old)
            os.close(writer.fd)
            writer.fd, writer.count = _open(writer.current), 0
        return writer

    def _notice_clears(self) -> None:
        """Another process (or this one) emptied files: what this process wrote there is gone."""
        self._clears = self._counters.value(_CLEARS)
        for writer in self._writers.values():
            if os.fstat(writer.fd).st_size == 0:
                writer.count = 0

    def _records(self, log: str) -> list[_Record]:
        newest = self._counters.value(_SEQ)
        found: dict[int, _Record] = {}
        files = self.prefix.parent.glob(f"{self.prefix.name}-log-{_name(log)}-*")
        # Both suffixes: a reader may come between a rotation's rename and the new ``.cur``.
        for writer in sorted({path.with_suffix("") for path in files if path.suffix in _SUFFIXES}):
            for path in (writer.with_suffix(".cur"), writer.with_suffix(".old")):
                for record in _parse(_read(path)):
                    if record.seq <= newest:
                        found[record.seq] = record
        return [found[seq] for seq in sorted(found)]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only the check is made
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _name(log: str) -> str:
    return log.encode().hex()  # any log name makes a safe file name


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _open(path: Path) -> int:
    """A new, empty file of this handle's (a file of a process that ran before with the same id is
    not ours)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)


def _write_all(fd: int, data: bytes) -> None:
    # A write to a regular file is all or nothing unless a signal or a full disk cuts it short;
    # the rest then follows at once (the file is this handle's alone, in the writers' turn).
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:  # rotated or never made
        return b""


def _parse(data: bytes) -> list[_Record]:
    records, offset = [], 0
    while offset + _HEAD.size <= len(data):
        seq, key_len, text_len = _HEAD.unpack_from(data, offset)
        start = offset + _HEAD.size
        end = start + key_len + text_len
        if end > len(data):
            break  # a record still being written
        records.append(_Record(seq, data, slice(start, start + key_len), slice(start + key_len, end)))
        offset = end
    return records
