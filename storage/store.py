"""The one home of the TinyDB instance: reads and writes of named JSON documents.

Storage knows documents, not sagas (actors/mapper.py turns one into the
other). Every name (an order, a sku, a customer, a participant's view of an
order) is its own TinyDB table holding one document, so a transition rewrites and
journals only that document, whatever the number of orders stored. Only one
thread may use a store at a time: the opener, then the storage actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from storage.archive import Archive, ArchivedGroup
from storage.codec import StoredDocument, copy_document, decoded, same_document
from storage.errors import StorageFailed
from storage.files import locked, real_path
from storage.journal import JournalStorage, ReadOnlyJournal
from storage.journal_file import write_snapshot

# The journal's own document naming this database's archive generation (see storage/archive.py).
ARCHIVE_GENERATION = "_archive"


class MemoryJournal(MemoryStorage):
    """TinyDB's in-memory storage with the journal's flush interface, for tests."""

    def flush(self) -> None:
        """Nothing to make durable in memory."""


class DocumentStore:
    def __init__(self, path: str | Path | None, create: bool = True, read_only: bool = False) -> None:
        """read_only reads the database as stored, without its lock: nothing may be written."""
        self.path = Path(path) if path is not None else None
        if path is None:
            self._db = TinyDB(storage=MemoryJournal)
        elif read_only:
            self._db = TinyDB(path, storage=ReadOnlyJournal)
        else:
            self._db = TinyDB(path, storage=JournalStorage, create=create)
        storage = self._db.storage  # TinyDB types it as any Storage: it is the one chosen above
        assert isinstance(storage, (JournalStorage, MemoryJournal))
        self._storage = storage
        # An in-memory store (tests) keeps everything live: it has nowhere to archive to.
        self._archive = (Archive(real_path(self.path), self._generation(), writable=not read_only,
                                 named=self.path)
                         if self.path is not None else None)

    def _generation(self) -> str | None:
        doc = self.peek(ARCHIVE_GENERATION)
        return str(doc["generation"]) if doc else None

    # -- documents --------------------------------------------------------
    def put(self, name: str, doc: Mapping[str, Any] | StoredDocument) -> None:
        """Store doc (handed over, not copied; or encoded, see storage.codec.encoded) as the
        whole of the named document.

        It is written straight into TinyDB's table data, exactly as Table.upsert
        leaves one document with id 1, but without the query layer's per-call work: the
        engine's hottest path (see docs/performance.md).
        """
        tables = self._storage.read()
        if tables is None:  # TinyDB's MemoryStorage before its first write
            tables = {}
        tables[name] = {"1": doc}
        self._storage.write(tables)

    def get(self, name: str) -> dict[str, Any] | None:
        """A copy of the named document: the stored one belongs to the storage thread."""
        stored = self._stored(name)
        if stored is None:
            return None
        return copy_document(stored) if isinstance(stored, dict) else decoded(stored)

    def peek(self, name: str) -> dict[str, Any] | None:
        """The named document, maybe itself, not a copy: only to read at once, never to keep or change."""
        stored = self._stored(name)
        return decoded(stored) if stored is not None else None

    def holds(self, name: str, document: StoredDocument) -> bool:
        """Whether the named document is still document (as put was given it, maybe encoded):
        told by value, without decoding two encoded documents."""
        stored = self._stored(name)
        return stored is not None and same_document(stored, document)

    def _stored(self, name: str) -> StoredDocument | None:
        """The named document as stored, read straight from TinyDB's table data, as put writes it."""
        table = self._tables().get(name)
        return table.get("1") if table else None

    def names(self, prefix: str) -> list[str]:
        return sorted(name for name in self._tables() if name.startswith(prefix))

    def _tables(self) -> dict[str, Any]:
        return self._storage.read() or {}

    def docs(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Copies of every document whose table name starts with prefix, keyed by the rest of the name."""
        return {key: copy_document(doc) for key, doc in self.stored(prefix)}

    def stored(self, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The stored documents under prefix themselves: only to read at once, never to keep.

        Read straight from TinyDB's table data, as put writes them (its query layer
        costs more than the reading, for each of tens of thousands of documents).
        """
        tables = self._tables()
        for name in self.names(prefix):
            doc = tables[name].get("1")
            if doc is not None:
                yield name[len(prefix):], decoded(doc)

    # -- the archive -------------------------------------------------------
    @property
    def archives(self) -> bool:
        """Whether settled groups can leave the live journal (not in memory, where all is live)."""
        return self._archive is not None

    def archive(self, group: str, names: list[str], summary: dict[str, Any]) -> None:
        """Move the named documents out of the live journal into the archive, as one group.

        The archive is synced before the journal line that drops them (see flush), so
        a crash leaves the group archived, live, or both, never lost.
        """
        assert self._archive is not None
        if self._archive.generation is None:
            self._archive.begin(uuid.uuid4().hex)
            self.put(ARCHIVE_GENERATION, {"generation": self._archive.generation})
            self._storage.flush()
        tables = self._storage.read()
        assert tables is not None  # the generation was just put
        documents = {name: tables[name]["1"] for name in names if name in tables}
        self._archive.add(group, documents, summary)
        for name in documents:
            del tables[name]

    def archived(self, group: str) -> dict[str, dict[str, Any]] | None:
        """Copies of an archived group's documents (its latest archived version), or None."""
        if self._archive is None or (found := self._archive.find(group)) is None:
            return None
        return self._archive.documents(found)

    def archived_groups(self) -> list[ArchivedGroup]:
        """Every archived group's summary and place (whether or not it is live again)."""
        return list(self._archive.groups()) if self._archive is not None else []

    def archived_summaries(self) -> list[tuple[str, dict[str, Any]]]:
        """Every archived group's name and summary (whether or not it is live again)."""
        return self._archive.summaries() if self._archive is not None else []

    def archived_places(self, groups: Iterable[str] | None = None) -> list[ArchivedGroup]:
        """Where the named archived groups are (every group, for None): a few are found by
        name, without parsing the whole index."""
        if self._archive is None:
            return []
        if groups is None:
            return self.archived_groups()
        return [found for group in groups if (found := self._archive.find(group)) is not None]

    def archived_documents(self, places: Iterable[ArchivedGroup]) -> list[dict[str, dict[str, Any]]]:
        """The documents of the archived groups at places, in that order (a reader's next few)."""
        return list(self._archive.each(places)) if self._archive is not None else []

    def every_archived(self) -> Iterator[tuple[ArchivedGroup, dict[str, dict[str, Any]]]]:
        """Every archived group with its documents, in one pass over the archive."""
        if self._archive is not None:
            yield from self._archive.every()

    @property
    def torn_bytes(self) -> int:
        """The bytes of an unfinished last line cut off when the database was opened."""
        return self._storage.torn_bytes if isinstance(self._storage, JournalStorage) else 0

    # -- durability --------------------------------------------------------
    def save_as(self, path: str | Path) -> None:
        """Write every document as a new database at path (where none is), in one atomic step.

        A database is created this way, never written into place line by line,
        so a crash while creating it leaves no half-seeded world to resume.
        """
        with locked(Path(path)) as real:
            try:
                write_snapshot(real, self._storage.read() or {})
            except OSError as error:
                raise StorageFailed(path, error, kept="no database was created",
                                    then="run the command again") from None

    def replace_with(self, other: DocumentStore) -> None:
        """Make other's documents the whole content of this open database, in one atomic step."""
        assert isinstance(self._storage, JournalStorage)
        try:
            self._storage.replace_all(copy_document(other._storage.read() or {}))
        except OSError as error:
            raise StorageFailed(self._storage.path, error, kept="the database was left as it was",
                                then="run the command again") from None

    def flush(self) -> None:
        """Make every write durable: the archive first, so the journal drops only what it holds."""
        self._sync_archive()
        self._storage.flush()

    def _sync_archive(self) -> None:
        """Sync the archive; if that fails, the journal writes nothing more either (as after
        its own failure), so it never drops documents the archive does not hold."""
        if self._archive is None or not self._archive.pending:
            return
        try:
            self._archive.sync()
        except StorageFailed as failure:
            if isinstance(self._storage, JournalStorage):
                self._storage.failure = failure
            raise

    def close(self) -> None:
        try:
            self._sync_archive()
        except StorageFailed:
            pass  # the journal keeps the groups live, as last flushed
        finally:
            self._db.close()
