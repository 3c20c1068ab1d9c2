"""The one place where the saga's types meet stored documents.

Storage knows named JSON documents and nothing of orders; this module turns
order records, the scenario and the follow-up progress into documents and
back (as eventsourcing's Mapper does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from actors.saga.domain import STORED, Frozen, OrderRecord, SagaStatus, Service, StepStatus
from actors.saga.scenario import Scenario
from storage.codec import StoredDocument, decoded, encoded_object, utc_text
from storage.errors import DatabaseError
from storage.store import DocumentStore

META = "meta"
ORDER_PREFIX = "order/"

Document = tuple[str, dict[str, Any]]


def order_of_document(name: str) -> str | None:
    """The order a document belongs to (its record, or a participant's view of it), if any."""
    prefix, _, rest = name.partition("/")
    if rest and (prefix + "/" == ORDER_PREFIX or prefix in {service.value for service in Service}):
        return rest
    return None


def order_record_document(order_id: str) -> str:
    """The name of the document holding an order's record."""
    return ORDER_PREFIX + order_id


def order_document(record: OrderRecord) -> Document:
    """The record as its stored document: what record.model_dump(mode="json") makes."""
    name, stored = stored_order(record)
    return name, decoded(stored)


def stored_order(record: OrderRecord) -> tuple[str, StoredDocument]:
    """The record as the store keeps it, encoded once (it is made at every transition, see
    docs/performance.md): the codec writes the models' fields as pydantic's JSON dump does
    (enums by value, tuples as lists, UTC times with Z), and the journal writes that text as it
    is; a value the codec refuses gets pydantic's dump."""
    stored = encoded_object(record, _fields, lambda: record.model_dump(mode="json"))
    return order_record_document(record.order.id), stored


def stored_time(at: datetime | None) -> str | None:
    """A time as an order's stored document writes it (its updated_at, say)."""
    return None if at is None else utc_text(at)


def _fields(value: object) -> dict[str, Any]:
    """A domain model's fields, in order, for the codec to write (it knows the values' types)."""
    if isinstance(value, Frozen):
        return value.__dict__
    raise TypeError(f"not a domain model: {type(value).__name__}")


def read_records(store: DocumentStore) -> list[OrderRecord]:
    return [validated_record(doc, store.path) for _, doc in store.stored(ORDER_PREFIX)]


def validated_record(doc: Mapping[str, Any], path: Path | None) -> OrderRecord:
    """A stored order's record; DatabaseError names the database whose record is not one."""
    try:
        return OrderRecord.model_validate(doc, context=STORED)
    except ValueError as error:
        raise DatabaseError(f"{path}: an order record does not match the schema "
                            f"({str(error).splitlines()[0]}).") from None


@dataclass(frozen=True)
class FollowUpProgress:
    """How far a scenario's `then` actions went, and the retry or cancel begun, if any,
    with the order as it was before it (so a restart can tell whether it took effect)."""

    applied: int = 0
    begun: Mapping[str, Any] | None = None


def meta_document(scenario: Scenario, progress: FollowUpProgress = FollowUpProgress()) -> Document:
    """The database's one META document: its scenario and how far its follow-ups went.

    The scenario is kept without its orders: each order has its own record from the
    start, and a copy of 100,000 orders here would be read at every open.
    """
    rules = scenario.model_dump(mode="json", exclude={"orders"})
    meta: dict[str, Any] = {"scenario": rules, "then_applied": progress.applied}
    if progress.begun is not None:
        meta["then_begun"] = dict(progress.begun)
    return META, meta


def read_scenario(store: DocumentStore) -> Scenario | None:
    doc = store.peek(META)
    if doc is None:
        return None
    try:
        return Scenario.model_validate(doc["scenario"], context=STORED)
    except (KeyError, ValueError):
        raise DatabaseError(f"{store.path}: its scenario record does not match the schema.") from None


def read_follow_ups(store: DocumentStore) -> FollowUpProgress:
    doc = store.peek(META) or {}
    begun = doc.get("then_begun")
    return FollowUpProgress(int(doc.get("then_applied", 0)), dict(begun) if isinstance(begun, dict) else None)


# Settled for good unless an operator retries: such an order leaves the live journal for
# the archive. An order on hold stays live: a retry or cancel resumes its kept steps.
ARCHIVED_STATUSES = frozenset({SagaStatus.COMPLETED, SagaStatus.FAILED, SagaStatus.CANCELLED})


def order_group(order_id: str) -> list[str]:
    """The documents one order owns: its record and each participant's view of it."""
    return [order_record_document(order_id), *(f"{service.value}/{order_id}" for service in Service)]


def order_summary(record: OrderRecord) -> dict[str, Any]:
    """The compact row an archived order is listed by, without reading its documents."""
    failure = record.failure
    return {"id": record.order.id, "customer": record.order.customer,
            "total_cents": record.order.total_cents, "status": record.status.value,
            "attempts": len(record.attempts), "version": record.version,
            "updated_at": record.updated_at.isoformat() if record.updated_at else None,
            "failure": failure.model_dump(mode="json") if failure else None}


def document_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A live order's summary row (order_summary's, with its current step) from its stored
    document, without validating the record: a listing reads thousands of live orders and
    shows a few. What it reads is what OrderRecord's properties read."""
    order = doc["order"]
    attempts = doc.get("attempts", ())
    status = doc.get("status", SagaStatus.PENDING.value)
    last = attempts[-1] if attempts else None
    failure = last.get("failure") if last is not None and status != SagaStatus.COMPLETED.value else None
    steps = last["steps"] if last is not None else ()
    now = next((step["name"] for step in steps if step.get("status") in _MOVING), None)
    return {"id": order["id"], "customer": order["customer"],
            "total_cents": sum(item["quantity"] * item["price_cents"] for item in order["items"]),
            "status": status, "attempts": len(attempts), "version": len(doc.get("earlier_versions", ())) + 1,
            "updated_at": doc.get("updated_at"), "failure": failure, "current_step": now}


_MOVING = {StepStatus.RUNNING.value, StepStatus.COMPENSATING.value}


def acted_on_at_open(store: DocumentStore) -> bool:
    """Whether an engine opening the store would act on a live order: resume one in flight,
    or archive one settled for good. An order on hold waits for an operator, untouched.
    (A document that is not an order's is the engine's to refuse, naming what is wrong.)"""
    return any(not isinstance(doc, dict) or doc.get("status") != SagaStatus.ON_HOLD.value
               for _, doc in store.stored(ORDER_PREFIX))


def archived_record(documents: Mapping[str, dict[str, Any]], order_id: str) -> OrderRecord:
    return OrderRecord.model_validate(documents[order_record_document(order_id)], context=STORED)


def archived_summaries(store: DocumentStore) -> list[dict[str, Any]]:
    """The summary row of every archived order that is not live again (a live copy wins)."""
    live = {name[len(ORDER_PREFIX):] for name in store.names(ORDER_PREFIX)}
    return [summary for group, summary in store.archived_summaries() if group not in live]
