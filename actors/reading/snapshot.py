"""What front ends read: the world at one moment, from a running engine or straight from storage."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from actors.embedded.documents import owned_prefixes, report_of
from actors.mapper import (
    archived_record,
    order_of_document,
)
from actors.saga.documents import InventoryReport, PaymentReport, ShippingReport, StoredDocuments
from actors.saga.domain import Failure, OrderRecord, SagaStatus, Service
from actors.saga.errors import Refused
from actors.saga.plan import SAGA_PLAN
from actors.saga.scenario import Scenario
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
    a named tuple, cheaper to build than a frozen dataclass (a listing builds one per order
    stored; see docs/performance.md)."""

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
