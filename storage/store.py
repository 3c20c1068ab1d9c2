"""The one home of the TinyDB instance: reads and writes of named JSON documents.

Storage knows documents, not sagas (actors/mapper.py turns one into the
other). Every name (an order, a sku, a customer, a participant's view of an
order) is its own TinyDB table holding one document, so a transition rewrites and
journals only that document, whatever the number of orders stored. Only one
thread may use a store at a time: the opener, then the storage actor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from storage.errors import StorageFailed
from storage.journal import JournalStorage, ReadOnlyJournal, locked, write_snapshot

def copy_document(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), several times faster
    than copy.deepcopy, which pays for memo tables and types documents never hold."""
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if type(value) is list:
        return [copy_document(item) for item in value]
    return value


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

    # -- documents --------------------------------------------------------
    def put(self, name: str, doc: Mapping[str, Any]) -> None:
        """Store doc (handed over, not copied) as the whole of the named document.

        It is written straight into TinyDB's table data, exactly as Table.upsert
        leaves one document with id 1, but without the query layer's per-call work:
        this is the engine's hottest path (a third of the storage thread's time).
        """
        tables = self._storage.read()
        if tables is None:  # TinyDB's MemoryStorage before its first write
            tables = {}
        tables[name] = {"1": doc}
        self._storage.write(tables)

    def get(self, name: str) -> dict[str, Any] | None:
        """A copy of the named document: the stored one belongs to the storage thread."""
        doc = self._db.table(name, cache_size=0).get(doc_id=1)
        return copy_document(doc) if doc is not None else None

    def peek(self, name: str) -> dict[str, Any] | None:
        """The named document itself, not a copy: only to read at once, never to keep or change."""
        doc = self._db.table(name, cache_size=0).get(doc_id=1)
        return doc

    def names(self, prefix: str) -> list[str]:
        return sorted(name for name in self._db.tables() if name.startswith(prefix))

    def docs(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Copies of every document whose table name starts with prefix, keyed by the rest of the name."""
        return {key: copy_document(doc) for key, doc in self.stored(prefix)}

    def stored(self, prefix: str) -> Iterator[tuple[str, Document]]:
        """The stored documents under prefix themselves: only to read at once, never to keep."""
        for name in self.names(prefix):
            doc = self._db.table(name, cache_size=0).get(doc_id=1)
            if doc is not None:
                yield name[len(prefix):], doc

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
        self._storage.flush()

    def close(self) -> None:
        self._db.close()
