"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from pathlib import Path

from actors.embedded import collector
from actors.saga.domain import Failure, OrderRecord, SagaStatus, Scenario, Service
from actors.mapper import (
    ORDER_PREFIX,
    archived_record,
    archived_summaries,
    document_summary,
    order_of_document,
    order_record_document,
    read_records,
    read_scenario,
    validated_record,
)
from actors.saga.documents import InventoryReport, PaymentReport, ShippingReport, StoredDocuments
from actors.embedded.documents import owned_prefixes, report_of, reports_of
from actors.saga.plan import SAGA_PLAN
from actors.saga.errors import Refused
from storage.store import DocumentStore

if TYPE_CHECKING:
    from actors.reading.stream import WorldStream


@dataclass(frozen=True)
class WorldSnapshot:
    """Every order and every participant's state at one moment, as read by a report."""

    scenario: Scenario | None
    records: list[OrderRecord]
    inventory: InventoryReport
    payment: PaymentReport
    shipping: ShippingReport
    # Which worker last moved each order, by order id (the PostgreSQL runtime's workers).
    workers: Mapping[str, str] = field(default_factory=dict)


def owned_documents(store: DocumentStore) -> dict[Service, StoredDocuments]:
    """Copies of each participant's stored documents, by their full names."""
    return {step.service: {prefix + key: doc for prefix in owned_prefixes(step.service)
                           for key, doc in store.docs(prefix).items()}
            for step in SAGA_PLAN}


def order_sort_key(order_id: str) -> tuple[str, int, str]:
    """o-2 before o-10: split off a trailing number."""
    head = order_id.rstrip("0123456789")
    tail = order_id[len(head):]
    return (head, int(tail) if tail else -1, order_id)


def record_of(records: list[OrderRecord], order_id: str) -> OrderRecord:
    """The order's record; Refused names an order the database does not have."""
    record = next((r for r in records if r.order.id == order_id), None)
    if record is None:
        raise Refused(f"There is no order {order_id!r} in this database.")
    return record


LiveReports = tuple[InventoryReport, PaymentReport, ShippingReport]


def combine(scenario: Scenario | None, live: list[OrderRecord], reports: LiveReports,
            archived: Sequence[StoredDocuments]) -> WorldSnapshot:
    """One snapshot from the live orders and participants' reports, and the archived orders'
    documents (each group: its record and every participant's view of it). A live copy wins."""
    records = {record.order.id: record for record in live}
    archived_docs: dict[Service, dict[str, dict[str, Any]]] = {service: {} for service in Service}
    for documents in archived:
        order_id = next((order_of_document(name) for name in documents), None)
        if order_id is None or order_id in records:
            continue
        records[order_id] = archived_record(documents, order_id)
        for name, doc in documents.items():
            service = name.split("/", 1)[0]
            if service in _SERVICES:
                archived_docs[Service(service)][name] = doc
    inventory, payment, shipping = reports
    return WorldSnapshot(
        scenario=scenario,
        records=sorted(records.values(), key=lambda r: order_sort_key(r.order.id)),
        inventory=cast(InventoryReport, _with_rows(
            inventory, report_of(Service.INVENTORY, archived_docs[Service.INVENTORY]))),
        payment=cast(PaymentReport, _with_rows(
            payment, report_of(Service.PAYMENT, archived_docs[Service.PAYMENT]))),
        shipping=cast(ShippingReport, _with_rows(
            shipping, report_of(Service.SHIPPING, archived_docs[Service.SHIPPING]))),
    )


def rows_of_orders(reports: LiveReports, ids: Collection[str]) -> LiveReports:
    """The reports with only the rows (reservations, charges, ledger...) of the orders named."""
    def kept(report: Mapping[str, object]) -> Any:
        return {name: ([row for row in cast(list[dict[str, Any]], rows) if row["order"] in ids]
                       if isinstance(rows, list) else rows) for name, rows in report.items()}
    inventory, payment, shipping = reports
    return kept(inventory), kept(payment), kept(shipping)


def _with_rows(live: Mapping[str, object], archived: Mapping[str, object]) -> Any:
    """A live report with the archived orders' rows (reservations, charges, ledger...) added:
    the same kind of report as live, which the caller names."""
    merged = dict(live)
    for name, rows in archived.items():
        if isinstance(rows, list):
            merged[name] = [*cast(list[object], merged.get(name, [])), *rows]
    return merged


_SERVICES = {service.value for service in Service}


class OrderSummary(NamedTuple):
    """An order as a listing shows it, without its timeline: for an archived order it comes
    from the archive's index, so listing 100,000 orders reads no order's documents. Immutable;
    a named tuple, which builds in a third of a frozen dataclass's time (a listing builds one
    per order stored)."""

    id: str
    customer: str
    total_cents: int
    status: SagaStatus
    attempts: int
    version: int
    updated_at: datetime | None
    failure: Failure | None
    current_step: str | None = None
    worker: str | None = None


def summary_of(record: OrderRecord, worker: str | None = None) -> OrderSummary:
    return OrderSummary(record.order.id, record.order.customer, record.order.total_cents, record.status,
                        len(record.attempts), record.version, record.updated_at, record.failure,
                        record.current_step, worker)


def summary_from_row(row: Mapping[str, Any]) -> OrderSummary:
    """An order's summary from its row: an archived order's index row (see mapper.order_summary)
    or a live order's (mapper.document_summary)."""
    failure = row.get("failure")
    updated_at = row.get("updated_at")
    return OrderSummary(row["id"], row["customer"], row["total_cents"], _STATUSES[row["status"]],
                        row["attempts"], row.get("version", 1),
                        datetime.fromisoformat(updated_at) if updated_at else None,
                        _failure(tuple(failure.items())) if failure else None, row.get("current_step"))


@lru_cache(maxsize=4096)
def _failure(fields: tuple[tuple[str, Any], ...]) -> Failure:
    """A stored failure, built once for the many orders that failed alike (it is immutable);
    the row was written from a valid record, so it is constructed, not validated again."""
    return Failure.model_construct(**dict(fields))


_STATUSES = {status.value: status for status in SagaStatus}


class ArchivedSummaries:
    """The archived orders' summaries, each built once: the archive keeps the rows it parsed,
    so a row met again is the same object, and only new rows (orders archived since) are built."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[Mapping[str, Any], OrderSummary]] = {}

    def of(self, rows: Iterable[Mapping[str, Any]]) -> list[OrderSummary]:
        built = {}
        known = self._built
        for row in rows:
            kept = known.get(row["id"])
            built[row["id"]] = kept if kept is not None and kept[0] is row else (row, summary_from_row(row))
        self._built = built
        return [summary for _, summary in built.values()]


class StoredWorld:
    """A database as last stored, read without starting actors and without writing a byte:
    what an engine would show before anything resumes. It validates only what it shows (an
    order's record, or every record for a snapshot), so showing one order of 100,000 costs
    about what reading the live journal does."""

    def __init__(self, store: DocumentStore) -> None:
        collector.collect_less_often()  # what it reads is kept, as an engine's is
        self._store = store
        self._summaries: list[OrderSummary] | None = None  # read once: a command's look is one moment

    @classmethod
    def read_only(cls, path: str | Path) -> StoredWorld:
        """The database at path, read without its lock (another process may be writing it)."""
        with collector.loading():
            return cls(DocumentStore(path, read_only=True))

    @property
    def torn_bytes(self) -> int:
        return self._store.torn_bytes

    def _reports(self) -> LiveReports:
        owned = owned_documents(self._store)
        return reports_of({name: doc for docs in owned.values() for name, doc in docs.items()})

    def snapshot(self) -> WorldSnapshot:
        """Every order, the archived ones read in one pass; read as a database is loaded
        (without the collector's passes), since all of it is kept until the command ends."""
        with collector.loading():
            archived = [documents for _, documents in self._store.every_archived()]  # combine: live wins
            return combine(read_scenario(self._store), read_records(self._store), self._reports(), archived)

    def stream(self) -> WorldStream:
        """Every order one at a time: the archived ones read from the archive as they are reached."""
        from actors.reading.stream import stream_world  # it builds on this module's types

        with collector.loading():
            live = read_records(self._store)
            places = self._store.archived_places()
        return stream_world(read_scenario(self._store), live, self._reports(), places, self._store.archived_documents,
                            str(self._store.path), self._store.archive_file())

    def find(self, order_id: str) -> OrderRecord | None:
        live = self._store.peek(order_record_document(order_id))
        if live is not None:
            return validated_record(live, self._store.path)
        documents = self._store.archived(order_id)
        return archived_record(documents, order_id) if documents is not None else None

    def summaries(self) -> list[OrderSummary]:
        if self._summaries is None:
            with collector.loading():
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
        from actors.reading.stream import stream_of  # it builds on this module's types
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
