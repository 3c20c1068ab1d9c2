"""A crash-safe, append-only TinyDB storage with group commit.

TinyDB's JSONStorage rewrites the whole file on every change, so a kill
during the write can tear it and each write costs as much as everything
stored. This storage appends, per `flush`, one checksummed line holding
every table changed since the last flush, and makes it durable with one
fsync (the owner flushes once per batch: group commit). A line is the unit
of atomicity: after a crash a batch is either wholly there or wholly gone,
so the documents one command changes (a stock level and the ledger that
says it was reserved) never survive without each other. Opening replays the
journal (storage/journal_file.py); a torn last line, which no flush ever
acknowledged, is cut off (and its size reported to the opener), while a
damaged line anywhere else refuses the open: read_journal still replays what
comes before it, for salvage. When the journal holds mostly superseded lines
it is compacted into a new file that atomically replaces the old one. Where
the file is and who may open it: storage/files.py.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage import codec
from storage.errors import DatabaseError, DatabaseReadOnly, StorageFailed
from storage.files import lock_database, real_path, refuse_read_only
from storage.journal_file import HEADER, TrackedTables, damage_message, read_journal, write_snapshot

# A journal is compacted once it is over this size and three times what is live: the size
# trades compaction's CPU against what an open replays (see docs/performance.md).
COMPACT_MIN_BYTES = 8 * 1024 * 1024


class JournalStorage(Storage):
    """TinyDB storage over one journal file (see storage/journal_file.py), locked against other
    processes."""

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)  # as the user named it, for messages
        self._real = real_path(self.path)  # the file itself, for reading and writing
        # Set when a write or fsync failed: from then on nothing is written (see flush).
        self.failure: StorageFailed | None = None
        if not self._real.exists() and not create:
            raise DatabaseError(f"{self.path}: no such database.")
        if self._real.exists():
            refuse_read_only(self.path, self._real)
        self._lock_file = lock_database(self.path)
        try:
            replay = read_journal(self.path, self._real, create)
            if replay.dropped:
                raise DatabaseError(damage_message(self.path, replay))
            self._tables, self._line_sizes = replay.tables, replay.sizes
            self._file_bytes = replay.file_bytes
            # Bytes of the latest copy of each table: what a compaction would keep.
            self._live_bytes = sum(self._line_sizes.values())
            # An unfinished last line, cut off below: storage does not print, its opener may say so.
            self.torn_bytes = replay.torn_bytes
            self._file = open(self._real, "ab")  # noqa: SIM115 - the journal appends for as long as it is open
            if self.torn_bytes:
                # A torn tail was never acknowledged: cut it before appending.
                self._file.truncate(replay.end)
                self._file_bytes = replay.end
            if self._file_bytes == 0:
                try:
                    self._append(HEADER)
                except OSError as error:
                    raise self._stop_writing(error) from None
                self._file_bytes = len(HEADER)
        except BaseException:
            self._lock_file.close()
            raise

    # -- tinydb.Storage -------------------------------------------------
    def read(self) -> dict[str, Any]:
        return self._tables

    def write(self, data: dict[str, Any]) -> None:
        """Nothing to do but note a replaced dict: TrackedTables knows which tables changed,
        and each is encoded once per flush however often it was written."""
        if data is not self._tables:
            # drop_tables() hands over a new dict: journal it as a full replacement.
            dropped = set(self._tables) - set(data)
            self._tables = TrackedTables(data)
            self._tables.dirty = set(data) | dropped

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            if self.failure is None:
                self.flush()
        finally:
            self._file.close()
            self._lock_file.close()

    # -- durability -----------------------------------------------------
    def flush(self) -> None:
        """Make every write so far durable: one line, one write, one fsync.

        If the write or the fsync fails, StorageFailed says why, and so does
        every later flush: the failed line may be partly on disk, and a line
        written after it would run into it, so nothing more is written.
        """
        if self.failure is not None:
            raise self.failure
        dirty = self._tables.dirty
        if not dirty:
            return
        written: dict[str, Any] = {}
        dropped = []
        for name in sorted(dirty):
            self._live_bytes -= self._line_sizes.pop(name, 0)
            if name in self._tables:
                written[name] = self._tables[name]
            else:
                dropped.append(name)
        dirty.clear()
        # One encoding of the whole line (each table's own costs a call per table, and the
        # tables of a burst are many and small); its size is shared as replay shares it.
        batch = codec.record_line({"w": written, "x": dropped})
        share = len(batch) // max(len(written), 1)
        for name in written:
            self._line_sizes[name] = share
        self._live_bytes += share * len(written)
        try:
            self._append(batch)
        except OSError as error:
            raise self._stop_writing(error) from None
        self._file_bytes += len(batch)
        if self._file_bytes > COMPACT_MIN_BYTES and self._file_bytes > 3 * self._live_bytes:
            self.compact()

    def _append(self, line: bytes) -> None:
        """Write line straight to the file and fsync it. No buffer is involved: one that
        kept the part a full disk refused would write it later, behind a failure."""
        fd = self._file.fileno()
        rest = memoryview(line)
        while rest:
            rest = rest[os.write(fd, rest):]
        os.fsync(fd)

    def _stop_writing(self, error: OSError) -> StorageFailed:
        """Record why writing failed and cut off the part of a line it left, if it can."""
        self.failure = StorageFailed(self.path, error)
        with contextlib.suppress(OSError):  # the next opening cuts a torn last line off all the same
            os.ftruncate(self._file.fileno(), self._file_bytes)
        return self.failure

    def compact(self) -> None:
        """Rewrite the journal with one line per table, replacing it atomically.

        A compaction that fails (no room for the new file) stops the writing like a
        failed flush: the journal stays as it was, and the disk is all but full.
        """
        self.flush()
        try:
            self.replace_all(self._tables)
        except OSError as error:
            raise self._stop_writing(error) from None

    def replace_all(self, tables: dict[str, Any]) -> None:
        """Make tables the whole content of the database, in one atomic step."""
        self._tables.dirty.clear()
        self._file_bytes, self._line_sizes = write_snapshot(self._real, tables)
        self._live_bytes = sum(self._line_sizes.values())
        if tables is not self._tables:
            self._tables = TrackedTables(tables)
        self._file.close()
        self._file = open(self._real, "ab")  # noqa: SIM115 - as at opening


class ReadOnlyJournal(JournalStorage):
    """The journal as stored, read without the lock and without writing a byte.

    The file is opened for reading only; a torn tail is ignored, not cut off. A
    writer in another process only ever appends whole lines (a compaction
    replaces the file by a rename, and the file already open stays whole), so
    the lines read are a state that writer acknowledged; its line still being
    written has no newline yet and is ignored like a torn one.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        real = real_path(self.path)
        if not real.exists():
            raise DatabaseError(f"{self.path}: no such database.")
        replay = read_journal(self.path, real)
        if replay.dropped:
            raise DatabaseError(damage_message(self.path, replay))
        self._tables = replay.tables

    def write(self, data: dict[str, Any]) -> None:
        raise DatabaseReadOnly(f"{self.path}: the database was opened only to read it.")

    def close(self) -> None:
        """Nothing to release: the replay closed the file, and no lock was taken."""


