"""Every order one at a time, with each participant's view of it: how the report and the audit
read a database of any size while holding one order's documents at a time (a WorldSnapshot
holds every record at once, which at 100,000 orders is gigabytes and most of the time)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from actors.domain import OrderRecord, Scenario
from actors.mapper import archived_record, order_record_document
from actors.participants.documents import StoredDocuments
from actors.participants.inventory import InventoryService
from actors.participants.payment import PaymentService
from actors.participants.shipping import ShippingService
from actors.read_model import LiveReports, WorldSnapshot, order_sort_key
from storage.archive import ArchivedGroup
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
class WorldStream:
    """The live orders and participants as they are now, and every order in id order
    (the live copy where an order is both live and archived), read as it is iterated."""

    scenario: Scenario | None
    live: LiveReports  # the participants' state: stock, accounts, and the live orders' rows
    live_records: Sequence[OrderRecord]
    count: int  # orders `orders` yields (live and archived)
    orders: Iterator[OrderParts]
    workers: Mapping[str, str] = field(default_factory=dict)

    @property
    def in_flight(self) -> list[str]:
        """The orders not settled, by id (an archived order is always settled)."""
        return sorted((r.order.id for r in self.live_records if not r.status.settled), key=order_sort_key)


def stream_world(scenario: Scenario | None, live: Sequence[OrderRecord], reports: LiveReports,
                 archived: Iterable[ArchivedGroup], read: ReadArchived, source: str,
                 workers: Mapping[str, str] | None = None) -> WorldStream:
    """A stream of the live orders and the archived ones not live again (a live copy wins).
    source names the database in the sentence about an archived record that is not valid."""
    by_id = {record.order.id: record for record in live}
    entries = {entry.group: entry for entry in archived if entry.group not in by_id}
    ids = sorted([*by_id, *entries], key=order_sort_key)
    return WorldStream(scenario, reports, list(live), len(ids), _orders(ids, by_id, entries, read, source),
                       workers or {})


def stream_of(snapshot: WorldSnapshot) -> WorldStream:
    """A world already read whole, as a stream (a PostgreSQL database, a test's snapshot)."""
    return stream_world(snapshot.scenario, snapshot.records,
                        (snapshot.inventory, snapshot.payment, snapshot.shipping), [], lambda _: [], "",
                        snapshot.workers)


def _orders(ids: list[str], live: Mapping[str, OrderRecord], archived: Mapping[str, ArchivedGroup],
            read: ReadArchived, source: str) -> Iterator[OrderParts]:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        wanted = [archived[order_id] for order_id in chunk if order_id in archived]
        documents = dict(zip((entry.group for entry in wanted), read(wanted) if wanted else []))
        for order_id in chunk:
            record = live.get(order_id)
            yield (OrderParts(order_id, record) if record is not None
                   else archived_parts(order_id, documents[order_id], source))


def archived_parts(order_id: str, documents: StoredDocuments, source: str) -> OrderParts:
    """An archived order's record, validated, and its participants' rows."""
    rows = (InventoryService.report_of(documents), PaymentService.report_of(documents),
            ShippingService.report_of(documents))
    if order_record_document(order_id) not in documents:
        return OrderParts(order_id, None, rows)
    try:
        record = archived_record(documents, order_id)
    except ValueError as error:
        raise DatabaseError(f"{source}: the archived record of order {order_id} does not match the "
                            f"schema ({str(error).splitlines()[0]}).") from None
    return OrderParts(order_id, record, rows)
