"""The one home of the TinyDB instance: typed reads and writes of documents.

Every key (an order, a sku, a customer, a participant's view of an order) is
its own TinyDB table holding one document, so a transition rewrites and
journals only that document, whatever the number of orders stored. Only one
thread may use a store at a time: the opener, then the storage actor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from actors.domain import OrderRecord, Scenario
from storage.errors import DatabaseError
from storage.journal import JournalStorage

META = "meta"
ORDER_PREFIX = "order/"


class MemoryJournal(MemoryStorage):
    """TinyDB's in-memory storage with the journal's flush interface, for tests."""

    has_pending = False

    def flush(self) -> None:
        """Nothing to make durable in memory."""


class SagaStore:
    def __init__(self, path: str | Path | None, create: bool = True) -> None:
        self.path = Path(path) if path is not None else None
        if path is None:
            self._db = TinyDB(storage=MemoryJournal)
        else:
            self._db = TinyDB(path, storage=JournalStorage, create=create)
        self._storage: JournalStorage | MemoryJournal = self._db.storage  # type: ignore[assignment]

    # -- documents --------------------------------------------------------
    def put(self, name: str, doc: dict[str, Any]) -> None:
        self._db.table(name, cache_size=0).upsert(Document(doc, doc_id=1))

    def get(self, name: str) -> dict[str, Any] | None:
        doc = self._db.table(name, cache_size=0).get(doc_id=1)
        return dict(doc) if doc is not None else None

    def names(self, prefix: str) -> list[str]:
        return sorted(name for name in self._db.tables() if name.startswith(prefix))

    def docs(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every document whose table name starts with prefix, keyed by the rest of the name."""
        found = {}
        for name in self.names(prefix):
            doc = self.get(name)
            if doc is not None:
                found[name[len(prefix):]] = doc
        return found

    def is_empty(self) -> bool:
        return not self._db.tables()

    # -- typed records -----------------------------------------------------
    def put_record(self, record: OrderRecord) -> None:
        self.put(ORDER_PREFIX + record.order.id, record.model_dump(mode="json"))

    def records(self) -> list[OrderRecord]:
        try:
            return [OrderRecord.model_validate(doc) for doc in self.docs(ORDER_PREFIX).values()]
        except ValueError as error:
            raise DatabaseError(f"{self.path}: an order record does not match the schema "
                                f"({str(error).splitlines()[0]}).") from None

    def scenario(self) -> Scenario | None:
        doc = self.get(META)
        if doc is None:
            return None
        try:
            return Scenario.model_validate(doc["scenario"])
        except (KeyError, ValueError):
            raise DatabaseError(f"{self.path}: its scenario record does not match the schema.") from None

    def then_applied(self) -> int:
        doc = self.get(META) or {}
        return int(doc.get("then_applied", 0))

    def put_meta(self, scenario: Scenario, then_applied: int) -> None:
        self.put(META, {"scenario": scenario.model_dump(mode="json"), "then_applied": then_applied})

    # -- durability --------------------------------------------------------
    @property
    def has_pending(self) -> bool:
        return self._storage.has_pending

    def flush(self) -> None:
        self._storage.flush()

    def close(self) -> None:
        self._db.close()
