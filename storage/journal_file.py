"""A journal file as lines: its header, replaying it, and writing it whole.

Lines after the header are either a batch, {"w": {table: data}, "x": [dropped
tables]}, or (as a whole file is written) one table, {"t": name, "d": data}.
Replay stops at the first damaged line: the lines from the damage on are
described, not replayed, since applied over a missing line they would mix
documents from different moments.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage import codec
from storage.errors import DatabaseError
from storage.files import UNTOUCHED, fsync_directory, refuse_unless_regular

SCHEMA_VERSION = 1
FORMAT = "ordersaga-journal"
HEADER = codec.record_line({"format": FORMAT, "schema": SCHEMA_VERSION})


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
        raise DatabaseError(f"{path}: cannot read the database ({error.strerror}); {UNTOUCHED}.") from None
    header = codec.read_line(first)
    if first and (header is None or header.get("format") != FORMAT):
        raise DatabaseError(f"{path}: not an ordersaga database, so it is not replaced; {UNTOUCHED}.")


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
                line = codec.record_line({"t": name, "d": table})
                sizes[name] = len(line)
                out.write(line)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    return size, sizes


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
                    _check_header(path, codec.read_line(line), line)
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
                            f"{UNTOUCHED}.") from None
    if replay.file_bytes == 0 and not create:
        raise DatabaseError(f"{path}: the file is empty, not an ordersaga database; {UNTOUCHED}.")
    return replay


def _replay_line(line: bytes, replay: Replay) -> str | None:
    """Replay one line after the header, or say why it cannot be (once damaged, none can)."""
    record = codec.read_line(line)
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
        raise DatabaseError(f"{path}: not a readable ordersaga database: {reason}; {UNTOUCHED}.")
    if header.get("format") != FORMAT:
        raise DatabaseError(f"{path}: not an ordersaga database; {UNTOUCHED}.")
    if header.get("schema") != SCHEMA_VERSION:
        raise DatabaseError(f"{path}: schema version {header.get('schema')} is not "
                            f"supported (this ordersaga reads version {SCHEMA_VERSION}); "
                            f"{UNTOUCHED}.")


def damage_message(path: Path, replay: Replay) -> str:
    """Where a journal is damaged, how much follows, and how to keep what comes before."""
    first, after = replay.dropped[0], replay.dropped[1:]
    after_bytes = sum(line.size for line in after)
    follows = f"{_count(len(after), 'more line')} ({_count(after_bytes, 'byte')})" if after else "nothing"
    return (f"{path}: the database is damaged at line {first.number}, byte {first.offset} "
            f"({first.problem}), with {follows} after it; {UNTOUCHED}, and `ordersaga salvage --db "
            f"{shlex.quote(str(path))} --to NEW_PATH` writes a new database from the "
            f"{_count(replay.lines, 'intact line')} before it.")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


