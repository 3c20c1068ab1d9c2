"""The orders as the dashboard shows them: what changed, what to announce, what to list.

Plain Python, so the rules of filtering, sorting and announcing are the same
whatever draws them, and can be read without a terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from actors import Notification, Order, OrderRecord, SagaStatus, order_sort_key
from app.dashboard.display import word

# Sorting by status puts what needs a person first.
ATTENTION = (SagaStatus.FAILED, SagaStatus.ON_HOLD, SagaStatus.COMPENSATING,
             SagaStatus.RUNNING, SagaStatus.PENDING, SagaStatus.CANCELLED, SagaStatus.COMPLETED)
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def units_by_sku(order: Order) -> Counter[str]:
    """What an order asks of inventory: its units of each sku."""
    units = Counter[str]()
    for item in order.items:
        units[item.sku] += item.quantity
    return units


def version(record: OrderRecord) -> int:
    """Grows with every transition of one order, so an older copy is never shown after a newer one."""
    return len(record.timeline) + len(record.notifications)


def shown_step(record: OrderRecord) -> str:
    """The step at work now, or where a settled order stopped."""
    if record.current_step:
        return record.current_step
    failure = record.failure
    return failure.step if failure else ""


# Each column's sort value; orders that tie keep the id order.
SORT_KEYS: dict[str, Callable[[OrderRecord], Any]] = {
    "id": lambda r: order_sort_key(r.order.id),
    "customer": lambda r: r.order.customer,
    "total": lambda r: r.order.total_cents,
    "status": lambda r: ATTENTION.index(r.status),
    "step": lambda r: shown_step(r),
    "attempts": lambda r: len(r.attempts),
    "updated": lambda r: r.updated_at or _EPOCH,
}


@dataclass(frozen=True)
class Announcement:
    """A notification the dashboard has not shown yet."""

    order: str
    notification: Notification


class OrderBoard:
    def __init__(self, records: Iterable[OrderRecord] = ()) -> None:
        self.records: dict[str, OrderRecord] = {}
        self._announced: dict[str, int] = {}
        self.reset(records)

    def reset(self, records: Iterable[OrderRecord], announce_existing: bool = False) -> list[Announcement]:
        """Show a new world; its notifications are news only if the world is new."""
        self.records = {}
        self._announced = {}
        news = self.apply(records)[1]
        return news if announce_existing else []

    def apply(self, records: Iterable[OrderRecord]) -> tuple[set[str], list[Announcement]]:
        """Take newer copies of records: which orders changed, and what they announce."""
        changed: set[str] = set()
        news: list[Announcement] = []
        for record in records:
            order_id = record.order.id
            known = self.records.get(order_id)
            if known is not None and version(known) > version(record):
                continue
            self.records[order_id] = record
            changed.add(order_id)
            seen = self._announced.get(order_id, 0)
            news += [Announcement(order_id, n) for n in record.notifications[seen:]]
            self._announced[order_id] = len(record.notifications)
        return changed, news

    def visible(self, filter_text: str = "", sort: str = "id", reverse: bool = False) -> list[str]:
        """The order ids to list, filtered by text and in the chosen order."""
        needle = filter_text.strip().lower()
        chosen = [r for r in self.records.values() if not needle or needle in searchable(r)]
        column = SORT_KEYS[sort]
        chosen.sort(key=lambda r: (column(r), order_sort_key(r.order.id)), reverse=reverse)
        return [r.order.id for r in chosen]

    def tally(self) -> Counter[SagaStatus]:
        return Counter(record.status for record in self.records.values())

    def unsettled(self) -> int:
        return sum(1 for record in self.records.values() if not record.status.settled)

    def notifications(self) -> list[Announcement]:
        """Every notification of every order, oldest first."""
        every = [Announcement(r.order.id, n) for r in self.records.values() for n in r.notifications]
        return sorted(every, key=lambda a: (a.notification.at, order_sort_key(a.order)))


def searchable(record: OrderRecord) -> str:
    """What a filter matches: id, customer, status, step and failure reason."""
    failure = record.failure
    parts = [record.order.id, record.order.customer, word(record.status.value), shown_step(record),
             failure.reason if failure else ""]
    return " ".join(parts).lower()
