"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from pathlib import Path

from actors import collector
from actors.domain import Failure, OrderRecord, SagaStatus, Scenario, Service
from actors.mapper import (
    archived_record,
    archived_summaries,
    order_of_document,
    read_records,
    read_scenario,
)
from actors.participants.documents import InventoryReport, PaymentReport, ShippingReport, StoredDocuments
from actors.participants.inventory import InventoryService
from actors.participants.payment import PaymentService
from actors.participants.shipping import ShippingService
from actors.plan import SAGA_PLAN
from actors.saga_logic import Refused
from storage.archive import ArchivedGroup
from storage.store import DocumentStore

if TYPE_CHECKING:
    from actors.order_stream import WorldStream


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
    return {step.service: {prefix + key: doc for prefix in step.participant.owned_prefixes()
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
            inventory, InventoryService.report_of(archived_docs[Service.INVENTORY]))),
        payment=cast(PaymentReport, _with_rows(
            payment, PaymentService.report_of(archived_docs[Service.PAYMENT]))),
        shipping=cast(ShippingReport, _with_rows(
            shipping, ShippingService.report_of(archived_docs[Service.SHIPPING]))),
    )


def _with_rows(live: Mapping[str, object], archived: Mapping[str, object]) -> Any:
    """A live report with the archived orders' rows (reservations, charges, ledger...) added:
    the same kind of report as live, which the caller names."""
    merged = dict(live)
    for name, rows in archived.items():
        if isinstance(rows, list):
            merged[name] = [*cast(list[object], merged.get(name, [])), *rows]
    return merged


_SERVICES = {service.value for service in Service}


@dataclass(frozen=True)
class OrderSummary:
    """An order as a listing shows it, without its timeline: for an archived order it comes
    from the archive's index, so listing 100,000 orders reads no order's documents."""

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
    """An archived order's summary from its index row (see mapper.order_summary)."""
    failure = row.get("failure")
    updated_at = row.get("updated_at")
    # Built for every archived order a listing reads: the row was written from a valid record,
    # so its failure is constructed, not validated again.
    return OrderSummary(row["id"], row["customer"], row["total_cents"], _STATUSES[row["status"]],
                        row["attempts"], row.get("version", 1),
                        datetime.fromisoformat(updated_at) if updated_at else None,
                        Failure.model_construct(**failure) if failure else None)


_STATUSES = {status.value: status for status in SagaStatus}


class StoredWorld:
    """A database as last stored, read without its lock, without starting actors and without
    writing a byte: what an engine would show before anything resumes."""

    def __init__(self, path: str | Path) -> None:
        with collector.loading():
            self._store = DocumentStore(path, read_only=True)
            self._live = read_records(self._store)

    def _reports(self) -> LiveReports:
        owned = owned_documents(self._store)
        return (InventoryService.report_of(owned[Service.INVENTORY]),
                PaymentService.report_of(owned[Service.PAYMENT]),
                ShippingService.report_of(owned[Service.SHIPPING]))

    def snapshot(self) -> WorldSnapshot:
        archived = [documents for _, documents in self._store.every_archived()]  # combine: live wins
        return combine(read_scenario(self._store), self._live, self._reports(), archived)

    def stream(self) -> WorldStream:
        """Every order one at a time: the archived ones read from the archive as they are reached."""
        from actors.order_stream import stream_world  # it builds on this module's types

        def read(places: list[ArchivedGroup]) -> list[StoredDocuments]:
            return [documents for _, documents in self._store.archived_each(places)]

        collector.collect_less_often()  # a pass allocates fast; the index's entries stay
        with collector.loading():
            places = self._store.archived_places()
        return stream_world(read_scenario(self._store), self._live, self._reports(), places, read,
                            str(self._store.path), self._store.archive_file())

    def find(self, order_id: str) -> OrderRecord | None:
        live = next((record for record in self._live if record.order.id == order_id), None)
        if live is not None:
            return live
        documents = self._store.archived(order_id)
        return archived_record(documents, order_id) if documents is not None else None

    def summaries(self) -> list[OrderSummary]:
        return [*(summary_of(record) for record in self._live),
                *(summary_from_row(row) for row in archived_summaries(self._store))]

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> StoredWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SnapshotWorld:
    """A world already read whole (a PostgreSQL database as stored), answering as StoredWorld does."""

    def __init__(self, snapshot: WorldSnapshot) -> None:
        self._snapshot = snapshot

    def snapshot(self) -> WorldSnapshot:
        return self._snapshot

    def stream(self) -> WorldStream:
        from actors.order_stream import stream_of  # it builds on this module's types
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
    with StoredWorld(path) as world:
        return world.snapshot()
