"""Every order one at a time, with each participant's view of it: how the report and the audit
read a database of any size while holding one order's documents at a time (a WorldSnapshot
holds every record at once, which at 100,000 orders is gigabytes and most of the time)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from actors.embedded.documents import reports_of
from actors.mapper import archived_record, order_record_document
from actors.reading.snapshot import LiveReports, WorldSnapshot, order_sort_key
from actors.saga.documents import StoredDocuments
from actors.saga.domain import OrderRecord
from actors.saga.scenario import Scenario
from storage.archive import Archive, ArchivedGroup
from storage.errors import DatabaseError

ReadArchived = Callable[[list[ArchivedGroup]], Iterable[StoredDocuments]]
_CHUNK = 256  # archived groups read per call: few calls to the storage thread, little held


@dataclass(frozen=True)
class OrderParts:
    """One order as stored. An archived order carries its participants' rows about it (its
    group's documents); a live order's rows are in the stream's live reports."""

    order_id: str
    record: OrderRecord | None  # None: an archived group without its record
    archived_rows: LiveReports | None = None


@dataclass(frozen=True)
class ArchivedShare:
    """Some archived orders for another process to read (a picklable description): the
    database, and the orders' places in its archive."""

    database: Path
    places: Sequence[ArchivedGroup]
    source: str

    def orders(self) -> Iterator[OrderParts]:
        """These orders one at a time, in id order, read from the archive's file."""
        archive = Archive.beside(self.database)
        entries = {place.group: place for place in self.places}
        ids = sorted(entries, key=order_sort_key)
        return _orders(ids, {}, entries, lambda chunk: list(archive.each(chunk)),
                       self.source)


@dataclass(frozen=True)
class WorldStream:
    """The live orders and participants as they are now, and every order in id order
    (the live copy where an order is both live and archived), read as it is iterated."""

    scenario: Scenario | None
    live: LiveReports  # the participants' state: stock, accounts, and the live orders' rows
    live_records: Sequence[OrderRecord]
    ids: Sequence[str]  # every order, live and archived, in id order
    archived: Mapping[str, ArchivedGroup]  # the places of the archived ones not live again
    read: ReadArchived
    source: str  # the database, as messages name it
    # The database's file, whose archive another process can read (None: no archive to share).
    database: Path | None = None
    workers: Mapping[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def in_flight(self) -> list[str]:
        """The orders not settled, by id (an archived order is always settled)."""
        return sorted((r.order.id for r in self.live_records if not r.status.settled), key=order_sort_key)

    def orders(self, skip: Collection[str] = frozenset()) -> Iterator[OrderParts]:
        """Every order but those in skip, one at a time in id order."""
        ids = [order_id for order_id in self.ids if order_id not in skip] if skip else self.ids
        live = {record.order.id: record for record in self.live_records}
        return _orders(ids, live, self.archived, self.read, self.source)

    def share(self, fraction: float) -> ArchivedShare | None:
        """The last `fraction` of the archived orders (by id), for another process to read;
        None where no other process can read them (nothing archived, or a world in memory)."""
        if self.database is None or not self.archived:
            return None
        archived = [self.archived[order_id] for order_id in self.ids if order_id in self.archived]
        return ArchivedShare(self.database, archived[int(len(archived) * (1 - fraction)):], self.source)


def stream_world(scenario: Scenario | None, live: Sequence[OrderRecord], reports: LiveReports,
                 archived: Iterable[ArchivedGroup], read: ReadArchived, source: str,
                 database: Path | None = None, workers: Mapping[str, str] | None = None) -> WorldStream:
    """A stream of the live orders and the archived ones not live again (a live copy wins).
    source names the database in the sentence about an archived record that is not valid."""
    by_id = {record.order.id: record for record in live}
    entries = {entry.group: entry for entry in archived if entry.group not in by_id}
    ids = sorted([*by_id, *entries], key=order_sort_key)
    return WorldStream(scenario, reports, list(live), ids, entries, read, source, database, workers or {})


def stream_of(snapshot: WorldSnapshot) -> WorldStream:
    """A world already read whole, as a stream (a PostgreSQL database, a test's snapshot)."""
    return stream_world(snapshot.scenario, snapshot.records,
                        (snapshot.inventory, snapshot.payment, snapshot.shipping), [], lambda _: [], "",
                        workers=snapshot.workers)


def _orders(ids: Sequence[str], live: Mapping[str, OrderRecord], archived: Mapping[str, ArchivedGroup],
            read: ReadArchived, source: str) -> Iterator[OrderParts]:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        wanted = [archived[order_id] for order_id in chunk if order_id in archived]
        documents = dict(zip((entry.group for entry in wanted), read(wanted) if wanted else [], strict=True))
        for order_id in chunk:
            record = live.get(order_id)
            yield (OrderParts(order_id, record) if record is not None
                   else archived_parts(order_id, documents[order_id], source))


def archived_parts(order_id: str, documents: StoredDocuments, source: str) -> OrderParts:
    """An archived order's record, validated, and its participants' rows."""
    rows = reports_of(documents)
    if order_record_document(order_id) not in documents:
        return OrderParts(order_id, None, rows)
    try:
        record = archived_record(documents, order_id)
    except ValueError as error:
        raise DatabaseError(f"{source}: the archived record of order {order_id} does not match the "
                            f"schema ({str(error).splitlines()[0]}).") from None
    return OrderParts(order_id, record, rows)
