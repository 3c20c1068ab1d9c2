"""The bridge from engine threads to the UI: however many updates arrive, the UI
is woken once and then reads the newest record of each order."""

from __future__ import annotations

import threading
from typing import Any

from actors.events import OrderUpdate
from actors.saga.domain import Item, Order, OrderRecord, SagaStatus
from app.dashboard.live import LiveUpdates


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def post_message(self, message: Any) -> bool:
        self.messages.append(message)
        return True


def update(order_id: str, status: SagaStatus) -> OrderUpdate:
    order = Order(id=order_id, customer="bob", ship_to="1 Main St",
                  items=(Item(sku="KB", quantity=1, price_cents=100),))
    return OrderUpdate(record=OrderRecord(order=order, status=status))


def test_a_flood_of_updates_from_many_threads_wakes_the_ui_once_with_the_newest_records() -> None:
    inbox = Inbox()
    bridge = LiveUpdates(inbox)  # type: ignore[arg-type]

    def engine_thread(orders: range) -> None:
        for status in (SagaStatus.RUNNING, SagaStatus.COMPENSATING, SagaStatus.FAILED):
            for n in orders:
                bridge(update(f"o-{n}", status))

    threads = [threading.Thread(target=engine_thread, args=(range(k, 200, 4),)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(inbox.messages) == 1 and inbox.messages[0].bridge is bridge
    taken = bridge.take()
    assert len(taken) == 200 and {r.status for r in taken} == {SagaStatus.FAILED}
    assert bridge.take() == []
    bridge(update("o-1", SagaStatus.FAILED))
    assert len(inbox.messages) == 2
