"""The reading commands' view of a database: as last stored (no engine started), or a
snapshot already read whole (a PostgreSQL database). Each gives a snapshot and a stream,
so this module sits above the two it builds on (snapshot.py, stream.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from actors.embedded.documents import reports_of
from actors.mapper import (
    ORDER_PREFIX,
    archived_record,
    archived_summaries,
    document_summary,
    order_record_document,
    read_records,
    read_scenario,
    validated_record,
)
from actors.reading.snapshot import (
    LiveReports,
    OrderSummary,
    WorldSnapshot,
    combine,
    owned_documents,
    summary_from_row,
    summary_of,
)
from actors.reading.stream import WorldStream, stream_of, stream_world
from actors.saga.domain import OrderRecord
from storage.store import DocumentStore


class StoredWorld:
    """A database as last stored, read without starting actors and without writing a byte:
    what an engine would show before anything resumes. It validates only what it shows (an
    order's record, or every record for a snapshot), so showing one order of 100,000 costs
    about what reading the live journal does."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store
        self._summaries: list[OrderSummary] | None = None  # read once: a command's look is one moment

    @classmethod
    def read_only(cls, path: str | Path) -> StoredWorld:
        """The database at path, read without its lock (another process may be writing it)."""
        return cls(DocumentStore(path, read_only=True))

    @property
    def torn_bytes(self) -> int:
        return self._store.torn_bytes

    def _reports(self) -> LiveReports:
        owned = owned_documents(self._store)
        return reports_of({name: doc for docs in owned.values() for name, doc in docs.items()})

    def snapshot(self) -> WorldSnapshot:
        """Every order, the archived ones read in one pass."""
        archived = [documents for _, documents in self._store.every_archived()]  # combine: live wins
        return combine(read_scenario(self._store), read_records(self._store), self._reports(), archived)

    def stream(self) -> WorldStream:
        """Every order one at a time: the archived ones read from the archive as they are reached."""
        live = read_records(self._store)
        places = self._store.archived_places()
        return stream_world(read_scenario(self._store), live, self._reports(), places, self._store.archived_documents,
                            str(self._store.path), self._store.path if self._store.archives else None)

    def find(self, order_id: str) -> OrderRecord | None:
        live = self._store.peek(order_record_document(order_id))
        if live is not None:
            return validated_record(live, self._store.path)
        documents = self._store.archived(order_id)
        return archived_record(documents, order_id) if documents is not None else None

    def summaries(self) -> list[OrderSummary]:
        if self._summaries is None:
            self._summaries = [
                *(self._live_summary(doc) for _, doc in self._store.stored(ORDER_PREFIX)),
                *(summary_from_row(row) for row in archived_summaries(self._store))]
        return list(self._summaries)

    def _live_summary(self, doc: Mapping[str, Any]) -> OrderSummary:
        """A live order's summary from its document as stored; one that does not read as an
        order's is validated, which says what is wrong with it."""
        try:
            return summary_from_row(document_summary(doc))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return summary_of(validated_record(doc, self._store.path))

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> StoredWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SnapshotWorld:
    """A world already read whole (a PostgreSQL database as stored), answering as StoredWorld does."""

    torn_bytes = 0  # a database server keeps its own

    def __init__(self, snapshot: WorldSnapshot) -> None:
        self._snapshot = snapshot

    def snapshot(self) -> WorldSnapshot:
        return self._snapshot

    def stream(self) -> WorldStream:
        return stream_of(self._snapshot)

    def find(self, order_id: str) -> OrderRecord | None:
        return next((r for r in self._snapshot.records if r.order.id == order_id), None)

    def summaries(self) -> list[OrderSummary]:
        return [summary_of(record, self._snapshot.workers.get(record.order.id))
                for record in self._snapshot.records]

    def __enter__(self) -> SnapshotWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def read_snapshot(path: str | Path) -> WorldSnapshot:
    """The world as last stored at path (see StoredWorld)."""
    with StoredWorld.read_only(path) as world:
        return world.snapshot()
