"""A crash-safe, append-only TinyDB storage with group commit.

TinyDB's JSONStorage rewrites the whole file on every change, so a kill
during the write can tear it and each write costs as much as everything
stored. This storage appends, per `flush`, one checksummed line holding
every table changed since the last flush, and makes it durable with one
fsync (the owner flushes once per batch: group commit). A line is the unit
of atomicity: after a crash a batch is either wholly there or wholly gone,
so the documents one command changes (a stock level and the ledger that
says it was reserved) never survive without each other. Opening replays the
journal; a torn last line, which no flush ever acknowledged, is cut off
(and its size reported to the opener), while a damaged line anywhere else
refuses the open: read_journal still replays what comes before it, for
salvage. When the journal holds mostly superseded lines it is compacted
into a new file that atomically replaces the old one.

A database reached through a symlink is the file the link leads to: it is
locked, appended to and replaced there. A file with hard links is refused:
replacing it (compaction, --replace) renames a new file over one name only,
which would leave the other names on a stale copy that a second process
could open and write unlocked. Whatever is at the path but no regular file (a folder, a FIFO, a
device, a socket) is refused unread: opening a FIFO blocks for ever, and a new file renamed over
a device would replace what every program on the machine uses.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from tinydb.storages import Storage

from storage.errors import DatabaseError, DatabaseLocked, DatabaseReadOnly, StorageFailed

SCHEMA_VERSION = 1
FORMAT = "ordersaga-journal"
# A journal is compacted once it is over this size and three times what is live. Each
# compaction re-encodes everything live: at 4 MB a busy engine compacted several times a second
# (4% of its CPU); at 8 MB, a third as often, and the most an open replays beyond what is live
# stays about 0.2 s.
_COMPACT_MIN_BYTES = 8 * 1024 * 1024
_UNTOUCHED = "it was left untouched"


# A document as the store holds it: a dict of JSON values, or (what a writer on the hot path
# hands over) the same already encoded once, which the journal and the archive write as it is.
StoredDocument = dict[str, Any] | orjson.Fragment


def fragment_value(fragment: orjson.Fragment) -> Any:
    """The value JSON already encoded (storage.store.encoded) holds."""
    text = orjson.dumps(fragment)  # its text as it is: a fragment offers no other way to it
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson leaves to json (an integer over 64 bits)
        return json.loads(text)


def _encoded_value(value: object) -> Any:
    """For _ENCODER: the value of a document stored already encoded; nothing else is JSON."""
    if isinstance(value, orjson.Fragment):
        return fragment_value(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One encoder for every line (json.dumps builds a new one per call when given options);
# ASCII output, with escapes, encodes 40% faster than UTF-8 and reads back the same.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_encoded_value)


def _dumps(value: Any) -> str:
    """Compact ASCII JSON, as _ENCODER writes it.

    orjson writes the same text for the documents stored here about ten times faster (the
    encoding was a fifth of the engine's CPU); where it would differ (text beyond ASCII, which
    it leaves unescaped, DEL included, or a value it refuses: a non-string key, an integer over
    64 bits), _ENCODER writes the line, so lines and the archive's search for them stay as they
    were. A document stored encoded (an orjson.Fragment) is written as it is, or by _ENCODER
    from its value. (Documents hold no floats; orjson writes 1e-07 as 1e-7, which reads back the same.)
    """
    try:
        encoded = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODER.encode(value)
    if encoded.isascii() and b"\x7f" not in encoded:
        return encoded.decode()
    return _ENCODER.encode(value)


def _line(body: str) -> bytes:
    """One journal line: the crc32 of the body in hex, a space, the body, a newline."""
    encoded = body.encode()
    return b"%08x %s\n" % (zlib.crc32(encoded), encoded)


def _decode(line: bytes) -> dict[str, Any] | None:
    """The record on a line, or None when the line is damaged."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        try:
            record = orjson.loads(body)  # about three times faster to open a database
        except orjson.JSONDecodeError:  # what orjson leaves to json (an integer over 64 bits)
            record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


HEADER = _line(_dumps({"format": FORMAT, "schema": SCHEMA_VERSION}))


def real_path(path: Path) -> Path:
    """The file a database path names, through any symlinks: what is locked, read and replaced."""
    try:
        return path.resolve()
    except RuntimeError:  # what pathlib raises for a symlink loop
        raise DatabaseError(f"{path}: cannot open the database (its symlinks form a loop).") from None
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None


_NOT_FILES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
              (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
              (stat.S_ISSOCK, "a socket"))


def refuse_unless_regular(path: Path, real: Path | None = None) -> None:
    """Raise DatabaseError, without opening it, where something other than a regular file is at
    path (real: the file it leads to, when known); a path where nothing is yet may be created."""
    try:
        mode = os.stat(real if real is not None else path).st_mode  # stat(2) opens nothing
    except FileNotFoundError:
        return
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_FILES if test(mode)), "something other than a file")
        raise DatabaseError(f"{path}: {kind} is there, not a database file, so ordersaga neither reads "
                            f"nor writes it; {_UNTOUCHED}.")


def _refuse_replacing(path: Path) -> None:
    """Raise DatabaseError unless a new journal may be renamed over path: nothing is there, or an
    ordersaga database (an empty file holds nothing to lose), never anything else."""
    refuse_unless_regular(path)
    try:
        with open(path, "rb") as existing:
            first = existing.readline(len(HEADER) + 64)
    except FileNotFoundError:
        return
    except OSError as error:
        raise DatabaseError(f"{path}: cannot read the database ({error.strerror}); {_UNTOUCHED}.") from None
    header = _decode(first)
    if first and (header is None or header.get("format") != FORMAT):
        raise DatabaseError(f"{path}: not an ordersaga database, so it is not replaced; {_UNTOUCHED}.")


def lock_database(path: Path) -> IO[str]:
    """Take the database's lock, or say who holds it; close the file to release.

    The lock is a flock on REAL.lock, REAL being the file path leads to, so every
    symlink to a database shares one lock, and the lock outlives the renames that
    replace the database file (a flock on the file itself would not).
    """
    real = real_path(path)
    refuse_unless_regular(path, real)
    try:
        names = real.stat().st_nlink
    except FileNotFoundError:  # a database about to be created
        names = 1
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    if names > 1:
        raise DatabaseError(f"{path}: the database file has {names} hard links, and ordersaga "
                            "replaces the file under one name when it compacts or starts over, "
                            "which would leave the other names on a stale copy; remove the other "
                            "links (or open a copy) and try again.")
    lock_path = real.with_name(real.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(lock_path, "a")
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise DatabaseLocked(f"{path}: the database is in use by another ordersaga process.") from None
    return lock_file


def refuse_read_only(path: Path, real: Path) -> None:
    """Raise DatabaseReadOnly unless this process may write the file and its folder.

    The folder counts because the lock file and a compaction's new file are made
    there. access(2) answers for this process: permission bits (which root
    bypasses), a read-only mount (which binds root too), ACLs, immutable files.
    """
    for what, target in (("folder", real.parent), ("file", real)):
        if not os.access(target, os.W_OK):
            raise DatabaseReadOnly(f"{path}: the database is read-only (this process cannot write "
                                   f"its {what}); `ordersaga report --no-resume` and the other "
                                   "commands that only read it still work.")


def write_snapshot(path: Path, tables: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """Write tables as a whole journal that atomically replaces the file at path (a real path:
    a symlink there would be replaced, not followed).

    The new file is written beside it, fsynced, renamed over it and the folder
    fsynced: after a crash at any point the old file or the new one is there,
    whole. Returns the new file's size and each table's line size. The caller
    holds the database's lock. When it fails (OSError: a full disk), the file
    at path is the old one and the new one is removed, giving its space back. Nothing is renamed
    over a path that holds anything but an ordersaga database (see _refuse_replacing).
    """
    _refuse_replacing(path)
    temp = path.with_name(path.name + ".compact")
    sizes = {}
    try:
        with open(temp, "wb") as out:
            out.write(HEADER)
            for name, table in tables.items():
                line = _line(_dumps({"t": name, "d": table}))
                sizes[name] = len(line)
                out.write(line)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return size, sizes


@contextmanager
def locked(path: Path) -> Iterator[Path]:
    """Hold the database's lock for the block, which gets the real path to write."""
    real = real_path(path)
    lock_file = lock_database(path)
    try:
        yield real
    finally:
        lock_file.close()


class TrackedTables(dict[str, Any]):
    """The database's tables, remembering which ones TinyDB replaced or dropped.

    TinyDB updates a table by assigning a new dict to its name, so the names
    assigned since the last flush are exactly the tables to journal.
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


@dataclass(frozen=True)
class DroppedLine:
    """A line that replay cannot use: the first damaged one, or any line after it."""

    number: int  # counting the header as line 1
    offset: int
    size: int
    problem: str
    documents: tuple[str, ...] | None  # what it writes or drops, where its text still decodes


@dataclass
class Replay:
    """A journal read up to its first damaged line."""

    tables: TrackedTables = field(default_factory=TrackedTables)
    sizes: dict[str, int] = field(default_factory=dict)  # each table's latest line size
    file_bytes: int = 0
    lines: int = 0  # the intact lines replayed, the header included
    end: int = 0  # the byte where they end
    dropped: list[DroppedLine] = field(default_factory=list)  # the damaged line and every one after it

    @property
    def torn_bytes(self) -> int:
        """The unfinished last line of an undamaged journal: exactly what a crash mid-write leaves."""
        return 0 if self.dropped else self.file_bytes - self.end


def read_journal(path: Path, real: Path, create: bool = False) -> Replay:
    """Replay the journal at real (named path in messages) up to its first damaged line.

    The lines from the damage on are described, not replayed: applied over a
    missing line, they would mix documents from different moments.
    """
    replay = Replay()
    refuse_unless_regular(path, real)
    try:
        if not real.exists():
            return replay
        with open(real, "rb") as journal:
            for number, line in enumerate(journal, start=1):
                if number == 1:
                    _check_header(path, _decode(line), line)
                elif replay.dropped or line.endswith(b"\n"):
                    problem = _replay_line(line, replay)
                    if problem is not None:
                        replay.dropped.append(DroppedLine(number, replay.file_bytes, len(line),
                                                          problem, _documents(line)))
                # else: a torn last line: the flush it began never returned, nothing acted on it
                replay.file_bytes += len(line)
                if not replay.dropped and line.endswith(b"\n"):
                    replay.lines, replay.end = number, replay.file_bytes
    except OSError as error:
        raise DatabaseError(f"{path}: cannot read the database ({error.strerror}); "
                            f"{_UNTOUCHED}.") from None
    if replay.file_bytes == 0 and not create:
        raise DatabaseError(f"{path}: the file is empty, not an ordersaga database; {_UNTOUCHED}.")
    return replay


def _replay_line(line: bytes, replay: Replay) -> str | None:
    """Replay one line after the header, or say why it cannot be (once damaged, none can)."""
    record = _decode(line)
    if record is None:
        return ("a record that fails its checksum" if line.endswith(b"\n")
                else "an unfinished last line")
    if replay.dropped:
        return "an intact record after the damage"
    if not _apply(record, replay.tables, replay.sizes, len(line)):
        return "a record of an unknown kind"
    return None


def _apply(record: dict[str, Any], tables: TrackedTables, sizes: dict[str, int],
           line_bytes: int) -> bool:
    """Replay one record into tables; False when it is not a record this journal writes."""
    if "w" in record and isinstance(record["w"], dict):
        for name in record.get("x", ()):
            tables.pop(name, None)
            sizes.pop(name, None)
        # A batch's size is shared by its tables: close enough to decide on compaction.
        share = line_bytes // max(len(record["w"]), 1)
        for name, table in record["w"].items():
            dict.__setitem__(tables, name, table)  # replayed, so not dirty
            sizes[name] = share
        return True
    if "t" in record and "d" in record:
        dict.__setitem__(tables, record["t"], record["d"])
        sizes[record["t"]] = line_bytes
        return True
    return False


def _documents(line: bytes) -> tuple[str, ...] | None:
    """The documents a line writes or drops, whatever its checksum says; None when it does not parse."""
    try:
        record = json.loads(line[9:])
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    written, dropped = record.get("w"), record.get("x", [])
    if isinstance(written, dict) and isinstance(dropped, list):
        return tuple(sorted({*written, *map(str, dropped)}))
    return (record["t"],) if isinstance(record.get("t"), str) else None


def _check_header(path: Path, header: dict[str, Any] | None, line: bytes) -> None:
    if header is None:
        reason = ("it ends inside its header line (truncated)" if not line.endswith(b"\n")
                  and HEADER.startswith(line) else "its first line is not an ordersaga header")
        raise DatabaseError(f"{path}: not a readable ordersaga database: {reason}; {_UNTOUCHED}.")
    if header.get("format") != FORMAT:
        raise DatabaseError(f"{path}: not an ordersaga database; {_UNTOUCHED}.")
    if header.get("schema") != SCHEMA_VERSION:
        raise DatabaseError(f"{path}: schema version {header.get('schema')} is not "
                            f"supported (this ordersaga reads version {SCHEMA_VERSION}); "
                            f"{_UNTOUCHED}.")


def damage_message(path: Path, replay: Replay) -> str:
    """Where a journal is damaged, how much follows, and how to keep what comes before."""
    first, after = replay.dropped[0], replay.dropped[1:]
    after_bytes = sum(line.size for line in after)
    follows = f"{_count(len(after), 'more line')} ({_count(after_bytes, 'byte')})" if after else "nothing"
    return (f"{path}: the database is damaged at line {first.number}, byte {first.offset} "
            f"({first.problem}), with {follows} after it; {_UNTOUCHED}, and `ordersaga salvage --db "
            f"{shlex.quote(str(path))} --to NEW_PATH` writes a new database from the "
            f"{_count(replay.lines, 'intact line')} before it.")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


class JournalStorage(Storage):
    """TinyDB storage over one journal file, locked against other processes.

    Lines after the header are either a batch, {"w": {table: data}, "x":
    [dropped tables]}, or (as compaction writes them) one table, {"t": name,
    "d": data}.
    """

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
            self._file = open(self._real, "ab")
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
        batch = _line(_dumps({"w": written, "x": dropped}))
        share = len(batch) // max(len(written), 1)
        for name in written:
            self._line_sizes[name] = share
        self._live_bytes += share * len(written)
        try:
            self._append(batch)
        except OSError as error:
            raise self._stop_writing(error) from None
        self._file_bytes += len(batch)
        if self._file_bytes > _COMPACT_MIN_BYTES and self._file_bytes > 3 * self._live_bytes:
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
        try:
            os.ftruncate(self._file.fileno(), self._file_bytes)
        except OSError:
            pass  # the next opening cuts a torn last line off all the same
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
        self._file = open(self._real, "ab")


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


def _fsync_directory(directory: Path) -> None:
    """Make a rename in directory durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
