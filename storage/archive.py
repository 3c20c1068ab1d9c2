"""Where settled document groups go, so the live journal holds only what is live.

A group (the documents one order owns) is appended to PATH.archive as one
checksummed line, and a compact summary of it, with the line's place, to
PATH.archive-index. Both files only grow, and are synced before the live
journal drops the group's documents, so after a crash a group is in the
archive, or still live, or both (the live copy wins), never neither.

Opening costs nothing in proportion to the archive: nothing is read until a
group is asked for (found by searching the index's bytes for its name) or the
summaries are listed (one pass over the index, kept: a later listing parses
only the lines appended since, and a later process starts from the parsed
index kept beside it, see storage/index_cache.py). Each file starts with the
archive's generation, which the journal also holds: a database replaced by a
new world gets a new generation, so an archive left from the old one is
ignored, then overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from storage import codec, index_cache
from storage.codec import StoredDocument
from storage.errors import DatabaseError, StorageFailed
from storage.files import fsync_directory, real_path

FORMAT = "ordersaga-archive"
# The parsed index is kept for the next reader once a tenth of it or more was parsed anew.
_CACHE_BEHIND = 10


def archive_paths(real: Path) -> tuple[Path, Path]:
    """The archive and its index, beside the database's real file."""
    return real.with_name(real.name + ".archive"), real.with_name(real.name + ".archive-index")


def database_files(path: Path) -> list[Path]:
    """The files one database is: its journal, and its archive and index where it has them
    (what to copy for a backup)."""
    return [path, *(part for part in archive_paths(path) if part.exists())]


@dataclass(frozen=True, slots=True)
class ArchivedGroup:
    """One archived group as its index line tells it: its name, summary and place in the archive."""

    group: str
    summary: dict[str, Any]
    offset: int
    length: int


class Archive:
    """The archive of one database generation; read-only when `writable` is False.

    Only the store's owner writes it. A reader of another process's database
    sees the groups whose index lines were complete when it read them.
    """

    def __init__(self, real: Path, generation: str | None, writable: bool, named: Path | None = None) -> None:
        """named: the database as the user named it, for messages (a full disk is the database's)."""
        self._named = named if named is not None else real
        self.path, self.index_path = archive_paths(real)
        self.generation = generation
        self._writable = writable
        self._pending: list[tuple[str, bytes, dict[str, Any]]] = []
        self._index_cache: bytes | None = None
        # The index parsed so far: each group's latest entry as stored, from its first line
        # (the header, naming the generation) to the byte parsed_to.
        self._latest: dict[str, dict[str, Any]] = {}
        self._parsed_header, self._parsed_to = b"", 0
        # The generation both files were last found or made to hold: only this store writes
        # them, so a sync need not read their headers again.
        self._started: str | None = None
        if generation is not None and not self._current(self.path):
            raise DatabaseError(
                f"{real}: its archive of settled orders, {self.path.name}, is missing or belongs to "
                f"another database; a database is its file with {self.path.name} and "
                f"{self.index_path.name} beside it: copy them together.")
        if writable and generation is not None:
            try:
                self._repair()
            except OSError as error:
                raise StorageFailed(self._named, error, kept="nothing acknowledged was lost",
                                    then="open it again") from None

    @classmethod
    def beside(cls, database: Path) -> Archive:
        """The archive beside a database, to read in another process than its owner's (sharing a
        reader's work): of the generation its own header names, which the owner's reader has
        already checked against the database; each group read is checked against its name."""
        real = real_path(database)
        try:
            with open(archive_paths(real)[0], "rb") as handle:
                header = codec.read_line(handle.readline())
        except OSError as error:
            raise DatabaseError(f"{database}: cannot read its archive ({error.strerror}).") from None
        generation = header.get("generation") if header is not None else None
        return cls(real, generation if isinstance(generation, str) else None, writable=False, named=database)

    # -- reading -----------------------------------------------------------
    def _current(self, path: Path) -> bool:
        """Whether path holds this generation's file (an older world's is ignored)."""
        if self.generation is None or not path.exists():
            return False
        with open(path, "rb") as handle:
            header = codec.read_line(handle.readline())
        return header is not None and header.get("generation") == self.generation

    def _index_bytes(self) -> bytes:
        """The index as it is now; read again only when it has grown (it only ever grows)."""
        if not self._current(self.index_path):
            return b""
        size = self.index_path.stat().st_size
        if self._index_cache is None or len(self._index_cache) != size:
            self._index_cache = self.index_path.read_bytes()
        return self._index_cache

    def groups(self) -> Iterator[ArchivedGroup]:
        """Every archived group's latest index entry (a group archived twice appears once)."""
        return (_group(entry) for entry in self._parsed().values())

    def summaries(self) -> list[tuple[str, dict[str, Any]]]:
        """Every archived group's name and latest summary: what a listing reads."""
        return [(entry["g"], entry["s"]) for entry in self._parsed().values()]

    def _parsed(self) -> dict[str, dict[str, Any]]:
        """Every group's latest index entry as stored, by group: only to read, never to keep.

        The index only grows, so what was parsed is kept and only the whole lines appended
        since are parsed (a reader may meet the writer's unfinished last line: it waits for
        the next call). An index that no longer starts as the parsed one did (a new
        generation) is parsed afresh.
        """
        data = self._index_bytes()
        header = data[:data.find(b"\n") + 1]
        whole = data.rfind(b"\n") + 1
        if whole < self._parsed_to or header != self._parsed_header:
            self._latest, self._parsed_header, self._parsed_to = {}, header, len(header)
            kept = index_cache.load(self.index_path, memoryview(data)[:whole]) if header else None
            if kept is not None and data[kept[0] - 1:kept[0]] == b"\n":
                self._parsed_to, self._latest = kept
        parsed_from = self._parsed_to
        if whole > parsed_from:
            latest = self._latest
            for entry in map(codec.read_line, data[parsed_from:whole].splitlines(keepends=True)):
                if entry is not None:  # a damaged line names no group it could be trusted for
                    latest[entry["g"]] = entry
            self._parsed_to = whole
            if self._writable and whole - parsed_from > whole // _CACHE_BEHIND:
                index_cache.save(self.index_path, memoryview(data)[:whole], latest)
        return self._latest

    def count(self) -> int:
        return sum(1 for _ in self.groups())

    def find(self, group: str) -> ArchivedGroup | None:
        """The group's latest entry: looked up in the parsed index once a listing has parsed
        it (parsing what was appended since), otherwise found by searching the index's bytes
        for its name, so showing one order parses no other."""
        if self._parsed_to:
            entry = self._parsed().get(group)
            return _group(entry) if entry is not None else None
        data = self._index_bytes()
        at = data.rfind(b' {"g":' + codec.dumps(group).encode() + b',"o":')
        if at < 0:
            return None
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        found = codec.read_line(data[start:end + 1]) if end >= 0 else None
        return _group(found) if found is not None else None

    def documents(self, found: ArchivedGroup) -> dict[str, dict[str, Any]]:
        """The documents of an archived group, read from its place in the archive."""
        return next(self.each([found]))

    def each(self, entries: Iterable[ArchivedGroup]) -> Iterator[dict[str, dict[str, Any]]]:
        """The documents of each entry, in the order given, read through one open file: a
        reader of every order in its own order holds one group at a time."""
        with open(self.path, "rb") as archive:
            for entry in entries:
                archive.seek(entry.offset)
                record = codec.read_line(archive.read(entry.length))
                if record is None or record.get("g") != entry.group:
                    raise DatabaseError(f"{self.path}: the archived documents of {entry.group!r} "
                                        f"are damaged at byte {entry.offset}.")
                yield record["d"]

    def every(self) -> Iterator[tuple[ArchivedGroup, dict[str, dict[str, Any]]]]:
        """Every archived group with its documents, in archive order (one pass over the file)."""
        places = {entry.offset: entry for entry in self.groups()}
        if not places or not self._current(self.path):
            return
        with open(self.path, "rb") as archive:
            offset = 0
            for line in archive:
                entry = places.get(offset)
                if entry is not None:
                    record = codec.read_line(line)
                    if record is None:
                        raise DatabaseError(f"{self.path}: the archived documents of {entry.group!r} "
                                            f"are damaged at byte {offset}.")
                    yield entry, record["d"]
                offset += len(line)

    # -- writing -----------------------------------------------------------
    def begin(self, generation: str) -> None:
        """Start this database's archive files, before the journal names their generation
        (so a journal never names an archive that is not there)."""
        self.generation = generation
        try:
            self._start(self.path)
            self._start(self.index_path)
        except OSError as error:
            raise StorageFailed(self._named, error) from None

    def add(self, group: str, documents: dict[str, StoredDocument], summary: dict[str, Any]) -> None:
        """Queue a group for the next sync; until then it is still live."""
        assert self._writable and self.generation is not None
        line = codec.record_line({"g": group, "s": summary, "d": documents})
        self._pending.append((group, line, summary))

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def sync(self) -> None:
        """Append the queued groups to the archive, then their entries to the index, each synced."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            if self._started != self.generation:
                self._start(self.path)
                self._start(self.index_path)
                self._started = self.generation
            index = []
            with open(self.path, "ab") as archive:
                offset = archive.tell()  # its end: append mode starts there
                for group, line, summary in pending:
                    archive.write(line)
                    index.append(codec.record_line({"g": group, "o": offset, "n": len(line), "s": summary}))
                    offset += len(line)
                archive.flush()
                os.fsync(archive.fileno())
            with open(self.index_path, "ab") as out:
                out.write(b"".join(index))
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            raise StorageFailed(self._named, error) from None

    def _start(self, path: Path) -> None:
        """Begin path afresh with this generation's header, unless it already holds it."""
        if self._current(path):
            return
        self._index_cache = None
        self._latest, self._parsed_header, self._parsed_to = {}, b"", 0
        with open(path, "wb") as out:
            out.write(codec.record_line({"format": FORMAT, "generation": self.generation}))
            out.flush()
            os.fsync(out.fileno())
        fsync_directory(path.parent)

    def _indexed_end(self) -> int:
        """Where the archive's indexed lines end: the last index entry's (entries are appended
        in archive order), so opening reads one line of the index, not all of it."""
        entry = codec.read_line(_last_line(self.index_path))
        return int(entry["o"]) + int(entry["n"]) if entry is not None and "o" in entry else 0

    def _repair(self) -> None:
        """After a crash: cut unfinished last lines, and index what the archive holds beyond the index."""
        if not self._current(self.path):
            return
        archive_end = _cut_torn_tail(self.path)
        if not self._current(self.index_path):
            self._start(self.index_path)
        _cut_torn_tail(self.index_path)
        indexed_end = self._indexed_end()
        missing = []
        with open(self.path, "rb") as archive:
            header = len(archive.readline())
            offset = max(indexed_end, header)
            archive.seek(offset)
            for line in archive:
                record = codec.read_line(line)
                if record is None:
                    break
                missing.append(codec.record_line({"g": record["g"], "o": offset, "n": len(line),
                                             "s": record.get("s", {})}))
                offset += len(line)
        if offset < archive_end:
            with open(self.path, "r+b") as archive:
                archive.truncate(offset)  # a damaged line after a crash: never acknowledged
        if missing:
            with open(self.index_path, "ab") as out:
                out.write(b"".join(missing))
                out.flush()
                os.fsync(out.fileno())


def _group(entry: dict[str, Any]) -> ArchivedGroup:
    return ArchivedGroup(entry["g"], entry["s"], entry["o"], entry["n"])


def _line_start(handle: BinaryIO, end: int) -> int:
    """Where the line holding the byte before `end` starts: just after the last newline before
    it. Read back from `end`, in growing windows (an index can be tens of megabytes)."""
    window = 4096
    while True:
        start = max(0, end - window)
        handle.seek(start)
        newline = handle.read(end - start).rfind(b"\n")
        if newline >= 0 or start == 0:
            return start + newline + 1
        window *= 2


def _last_line(path: Path) -> bytes:
    """The last whole line of path (empty when there is none)."""
    with open(path, "rb") as handle:
        end = _whole_end(handle, path.stat().st_size)
        start = _line_start(handle, end - 1) if end else 0
        handle.seek(start)
        return handle.read(end - start)


def _whole_end(handle: BinaryIO, size: int) -> int:
    """Where the file's last whole line ends: size, or where an unfinished last line starts."""
    if size == 0:
        return 0
    handle.seek(size - 1)
    return size if handle.read(1) == b"\n" else _line_start(handle, size)


def _cut_torn_tail(path: Path) -> int:
    """Cut an unfinished last line (one with no newline) off path; its new size."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        end = _whole_end(handle, size)
        if end < size:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        return end
