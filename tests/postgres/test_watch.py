"""A process following a PostgreSQL database (the dashboard) hears every order's last change,
whatever order the workers' transactions commit in."""

from __future__ import annotations

import threading

import pytest

from actors import create_database
from actors.events import OrderUpdate
from actors.postgres.engine import PostgresEngine
from actors.postgres.store import engine_for, load_record, save_record
from actors.saga.domain import Item, Order
from actors.saga.scenario import Scenario
from tests.postgres_server import database

pytestmark = pytest.mark.postgres

_WAIT_S = 60  # only to fail rather than hang


def _order(order_id: str) -> Order:
    return Order(id=order_id, customer="bob", ship_to="1 Main St",
                 items=(Item(sku="KB", quantity=1, price_cents=1500),))


def test_a_change_committed_after_a_later_one_is_still_heard(postgres_server: object) -> None:
    """Worker a takes its change number, worker b takes the next and commits first; the
    follower, having heard b's, hears a's once it commits."""
    url = database(postgres_server, "watching")
    create_database(url, Scenario(name="two orders", stock={"KB": 5}, accounts={"bob": 10_000},
                                  orders=(_order("o-1"), _order("o-2"))), replace=True)
    heard: list[tuple[str, str | None]] = []
    arrived = threading.Condition()

    def hear(update: OrderUpdate) -> None:
        with arrived:
            heard.append((update.record.order.id, update.worker))
            arrived.notify_all()

    def until_heard(order_id: str, worker: str) -> None:
        with arrived:
            if not arrived.wait_for(lambda: (order_id, worker) in heard, timeout=_WAIT_S):
                pytest.fail(f"the follower never heard {worker}'s change to {order_id}; it heard {heard}")

    db = engine_for(url)
    try:
        with PostgresEngine(url) as follower, db.connect() as a, db.connect() as b:
            follower.subscribe(hear)
            with a.begin():
                stored = load_record(a, "o-1", lock=True)
                assert stored is not None
                save_record(a, stored.record, "a")  # its change number taken, not yet committed
                with b.begin():
                    stored = load_record(b, "o-2", lock=True)
                    assert stored is not None
                    save_record(b, stored.record, "b")
                until_heard("o-2", "b")  # the follower has read past b's change number
            until_heard("o-1", "a")
    finally:
        db.dispose()
