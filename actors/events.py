"""Publication of order updates to subscribers on other threads (the dashboard)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from actors.saga.domain import OrderRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order's record once a transition is durable (made at every one: a plain dataclass,
    since the record in it is valid already)."""

    record: OrderRecord
    worker: str | None = None  # the worker that stored it (the PostgreSQL runtime's)


Subscriber = Callable[[OrderUpdate], None]


class EventHub:
    """Subscribers are called on an engine thread, in the order transitions became
    durable; they must be quick and thread-safe (post a message, put on a queue)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers += (subscriber,)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def publish(self, update: OrderUpdate) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(update)
            except Exception:
                log.exception("an order-update subscriber failed")
