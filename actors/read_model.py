"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from pathlib import Path

from actors import collector
from actors.domain import OrderRecord, Scenario, Service
from actors.mapper import (
    archived_record,
    order_of_document,
    order_record_document,
    read_records,
    read_scenario,
)
from actors.participants.documents import InventoryReport, PaymentReport, ShippingReport, StoredDocuments
from actors.participants.inventory import InventoryService
from actors.participants.payment import PaymentService
from actors.participants.shipping import ShippingService
from actors.plan import SAGA_PLAN
from actors.saga_logic import Refused
from storage.store import DocumentStore


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


def read_snapshot(path: str | Path) -> WorldSnapshot:
    """The world as last stored at path, read without its lock, without starting actors
    and without writing a byte: what `Engine.snapshot()` shows before anything resumes,
    orders in flight where they stopped."""
    with collector.loading():
        store = DocumentStore(path, read_only=True)
        try:
            owned = owned_documents(store)
            reports = (InventoryService.report_of(owned[Service.INVENTORY]),
                       PaymentService.report_of(owned[Service.PAYMENT]),
                       ShippingService.report_of(owned[Service.SHIPPING]))
            live = read_records(store)
            live_orders = {order_record_document(record.order.id) for record in live}
            archived = [documents for found, documents in store.every_archived()
                        if order_record_document(found.group) not in live_orders]
            return combine(read_scenario(store), live, reports, archived)
        finally:
            store.close()
