"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from actors import collector
from actors.domain import OrderRecord, Scenario, Service
from actors.mapper import read_records, read_scenario
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


def read_snapshot(path: str | Path) -> WorldSnapshot:
    """The world as last stored at path, read without its lock, without starting actors
    and without writing a byte: what `Engine.snapshot()` shows before anything resumes,
    orders in flight where they stopped."""
    with collector.loading():
        store = DocumentStore(path, read_only=True)
        try:
            owned = owned_documents(store)
            return WorldSnapshot(
                scenario=read_scenario(store),
                records=sorted(read_records(store), key=lambda r: order_sort_key(r.order.id)),
                inventory=InventoryService.report_of(owned[Service.INVENTORY]),
                payment=PaymentService.report_of(owned[Service.PAYMENT]),
                shipping=ShippingService.report_of(owned[Service.SHIPPING]),
            )
        finally:
            store.close()
