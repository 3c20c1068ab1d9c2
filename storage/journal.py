"""A crash-safe, append-only TinyDB storage with group commit.

TinyDB's JSONStorage rewrites the whole file on every change, so a kill
during the write can tear it and each write costs as much as everything
stored. This storage appends only the tables a write changed, as one
checksummed line each, and makes them durable with one fsync per `flush`
(the owner calls it once per batch: group commit). Opening replays the
journal; a torn last line, which no flush ever acknowledged, is cut off.
When the journal holds mostly superseded lines it is compacted into a new
file that atomically replaces the old one.
"""

from __future__ import annotations

import fcntl
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage.errors import DatabaseError, DatabaseLocked

SCHEMA_VERSION = 1
FORMAT = "ordersaga-journal"
_COMPACT_MIN_BYTES = 4 * 1024 * 1024


class TrackedTables(dict[str, Any]):
    """The database's tables, remembering which ones TinyDB replaced or dropped.

    TinyDB updates a table by assigning a new dict to its name, so the names
    assigned since the last write are exactly the tables to journal.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dirty: set[str] = set()

    def __setitem__(self, name: str, table: Any) -> None:
        super().__setitem__(name, table)
        self.dirty.add(name)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self.dirty.add(name)


def _encode(record: dict[str, Any]) -> bytes:
    body = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    crc = zlib.crc32(body.encode())
    return f"{crc:08x} {body}\n".encode()


def _decode(line: bytes) -> dict[str, Any] | None:
    """The record on a line, or None when the line is damaged."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


class JournalStorage(Storage):
    """TinyDB storage over one journal file, locked against other processes."""

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise DatabaseError(f"{self.path}: no such database.")
        self._lock_file = self._acquire_lock()
        try:
            self._tables, self._line_sizes, self._file_bytes, valid_end = self._replay()
            # Bytes of the latest line of each table: what a compaction would keep.
            self._live_bytes = sum(self._line_sizes.values())
            self._file = open(self.path, "ab")
            if valid_end < self._file_bytes:
                # A torn tail was never acknowledged: cut it before appending.
                self._file.truncate(valid_end)
                self._file_bytes = valid_end
            if self._file_bytes == 0:
                self._file.write(_encode({"format": FORMAT, "schema": SCHEMA_VERSION}))
                self._sync()
                self._file_bytes = self._file.tell()
            self._pending: list[bytes] = []
        except BaseException:
            self._lock_file.close()
            raise

    def _acquire_lock(self) -> Any:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock_file = open(lock_path, "a")
        except OSError as error:
            raise DatabaseError(f"{self.path}: cannot open the database ({error.strerror}).") from None
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise DatabaseLocked(f"{self.path}: the database is in use by another ordersaga process.") from None
        return lock_file

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        offset = 0
        with open(self.path, "rb") as journal:
            for line in journal:
                yield offset, line
                offset += len(line)

    def _replay(self) -> tuple[TrackedTables, dict[str, int], int, int]:
        tables = TrackedTables()
        if not self.path.exists():
            return tables, {}, 0, 0
        size = self.path.stat().st_size
        sizes: dict[str, int] = {}
        valid_end = 0
        lines = self._lines()
        for offset, line in lines:
            record = _decode(line)
            if record is None:
                if offset + len(line) == size:
                    break  # a torn last line: the write it began was never acknowledged
                raise DatabaseError(f"{self.path}: the database is damaged at byte {offset} "
                                    "(a record fails its checksum); it was left untouched.")
            if offset == 0:
                self._check_header(record)
            elif "drop" in record:
                tables.pop(record["drop"], None)
                sizes.pop(record["drop"], None)
            else:
                tables[record["t"]] = record["d"]
                sizes[record["t"]] = len(line)
            valid_end = offset + len(line)
        if valid_end == 0 and size > 0:
            raise DatabaseError(f"{self.path}: not an ordersaga database (no valid header); "
                                "it was left untouched.")
        tables.dirty.clear()
        return tables, sizes, size, valid_end

    def _check_header(self, header: dict[str, Any]) -> None:
        if header.get("format") != FORMAT:
            raise DatabaseError(f"{self.path}: not an ordersaga database; it was left untouched.")
        if header.get("schema") != SCHEMA_VERSION:
            raise DatabaseError(f"{self.path}: schema version {header.get('schema')} is not "
                                f"supported (this ordersaga reads version {SCHEMA_VERSION}); "
                                "it was left untouched.")

    # -- tinydb.Storage -------------------------------------------------
    def read(self) -> dict[str, Any]:
        return self._tables

    def write(self, data: dict[str, Any]) -> None:
        if data is not self._tables:
            # drop_tables() hands over a new dict: journal it as a full replacement.
            dropped = set(self._tables) - set(data)
            self._tables = TrackedTables(data)
            self._tables.dirty = set(data) | dropped
        for name in sorted(self._tables.dirty):
            self._live_bytes -= self._line_sizes.pop(name, 0)
            if name in self._tables:
                line = _encode({"t": name, "d": self._tables[name]})
                self._line_sizes[name] = len(line)
                self._live_bytes += len(line)
            else:
                line = _encode({"drop": name})
            self._pending.append(line)
        self._tables.dirty.clear()

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            self.flush()
        finally:
            self._file.close()
            self._lock_file.close()

    # -- durability -----------------------------------------------------
    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Make every write so far durable with one fsync."""
        if not self._pending:
            return
        batch = b"".join(self._pending)
        self._pending.clear()
        self._file.write(batch)
        self._sync()
        self._file_bytes += len(batch)
        if self._file_bytes > _COMPACT_MIN_BYTES and self._file_bytes > 3 * self._live_bytes:
            self.compact()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def compact(self) -> None:
        """Rewrite the journal with one line per table, replacing it atomically."""
        self.flush()
        temp = self.path.with_name(self.path.name + ".compact")
        with open(temp, "wb") as out:
            out.write(_encode({"format": FORMAT, "schema": SCHEMA_VERSION}))
            for name, table in self._tables.items():
                out.write(_encode({"t": name, "d": table}))
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._file.close()
        self._file = open(self.path, "ab")
        self._file_bytes = size
