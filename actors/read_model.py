"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actors import collector
from actors.domain import OrderRecord, Scenario, Service
from actors.mapper import read_records, read_scenario
from actors.plan import SAGA_PLAN
from actors.saga_logic import Refused
from storage.store import DocumentStore


@dataclass(frozen=True)
class WorldSnapshot:
    """Every order and every participant's state at one moment, as read by a report."""

    scenario: Scenario | None
    records: list[OrderRecord]
    inventory: dict[str, Any]
    payment: dict[str, Any]
    shipping: dict[str, Any]
    # Which worker last moved each order, by order id (the PostgreSQL runtime's workers).
    workers: Mapping[str, str] = field(default_factory=dict)


def owned_documents(store: DocumentStore) -> dict[Service, dict[str, dict[str, Any]]]:
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
            reports = {step.service: step.participant.report_of(owned[step.service]) for step in SAGA_PLAN}
            return WorldSnapshot(
                scenario=read_scenario(store),
                records=sorted(read_records(store), key=lambda r: order_sort_key(r.order.id)),
                inventory=reports[Service.INVENTORY],
                payment=reports[Service.PAYMENT],
                shipping=reports[Service.SHIPPING],
            )
        finally:
            store.close()
