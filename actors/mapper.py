"""The one place where the saga's types meet stored documents.

Storage knows named JSON documents and nothing of orders; this module turns
order records, the scenario and the follow-up progress into documents and
back (as eventsourcing's Mapper does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from actors.domain import Frozen, OrderRecord, SagaStatus, Scenario, Service
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
    """The record as its stored document: what record.model_dump(mode="json") makes, a third
    faster (made at every transition, it was the coordinator's largest cost). orjson writes
    the models' fields as pydantic does (enums by value, tuples as lists, UTC times with Z),
    and reading the text back gives the document; a value it refuses gets pydantic's dump."""
    try:
        document = orjson.loads(orjson.dumps(record, default=_fields, option=orjson.OPT_UTC_Z))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        document = record.model_dump(mode="json")
    return order_record_document(record.order.id), document


def _fields(value: object) -> dict[str, Any]:
    """A domain model's fields, in order, for orjson to write (it knows the values' types)."""
    if isinstance(value, Frozen):
        return value.__dict__
    raise TypeError(f"not a domain model: {type(value).__name__}")


def read_records(store: DocumentStore) -> list[OrderRecord]:
    try:
        return [OrderRecord.model_validate(doc) for _, doc in store.stored(ORDER_PREFIX)]
    except ValueError as error:
        raise DatabaseError(f"{store.path}: an order record does not match the schema "
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
        return Scenario.model_validate(doc["scenario"])
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


def archived_record(documents: Mapping[str, dict[str, Any]], order_id: str) -> OrderRecord:
    return OrderRecord.model_validate(documents[order_record_document(order_id)])


def archived_summaries(store: DocumentStore) -> list[dict[str, Any]]:
    """The summary row of every archived order that is not live again (a live copy wins)."""
    live = set(store.names(ORDER_PREFIX))
    return [found.summary for found in store.archived_groups()
            if order_record_document(found.group) not in live]
