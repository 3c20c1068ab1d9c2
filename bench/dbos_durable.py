"""The same three-step saga written directly on DBOS Transact, with the participants' state
in durable PostgreSQL tables: the fair peer of ordersaga's PostgreSQL runtime.

Reserve, charge, ship, each a DBOS step that is one transaction on the participant's
table (a conditional UPDATE); a failure compensates the steps done in reverse. DBOS
checkpoints the workflow and each step's result. Workflows go through a queue of 16 per
worker polled every 0.1 s, as ordersaga's workers take theirs. Run in a process of its
own (DBOS is a singleton) against a database that exists and is empty.

    python -m bench.dbos_durable --child URL ORDERS     one run, its figures as JSON
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from bench.common import saga_world
from bench.dbos_saga import register_saga

CONCURRENCY = 16  # as actors.postgres.queue.WORKER_CONCURRENCY
POLL_S = 0.1


def _run_in_this_process(url: str, orders: int) -> dict[str, Any]:
    import sqlalchemy as sa
    from dbos import DBOS, DBOSConfig

    from bench import round_trips

    round_trips.install()

    scenario = saga_world(orders)
    db = sa.create_engine("postgresql+psycopg://" + url.partition("://")[2], pool_size=CONCURRENCY,
                          max_overflow=CONCURRENCY)
    with db.begin() as connection:
        connection.execute(sa.text("CREATE TABLE stock (sku text PRIMARY KEY, available bigint NOT NULL)"))
        connection.execute(sa.text("CREATE TABLE accounts (customer text PRIMARY KEY, balance bigint NOT NULL)"))
        connection.execute(sa.text("CREATE TABLE shipments (order_id text PRIMARY KEY, address text NOT NULL, "
                                   "status text NOT NULL)"))
        for sku, units in scenario.stock.items():
            connection.execute(sa.text("INSERT INTO stock VALUES (:s, :n)"), {"s": sku, "n": units})
        for customer, cents in scenario.accounts.items():
            connection.execute(sa.text("INSERT INTO accounts VALUES (:c, :n)"), {"c": customer, "n": cents})

    def _change(sql: str, **values: Any) -> int:
        with db.begin() as connection:
            return int(connection.execute(sa.text(sql), values).rowcount)

    @DBOS.step(name="reserve")
    def reserve(items: dict[str, int]) -> bool:
        with db.begin() as connection:
            for sku, units in sorted(items.items()):
                taken = connection.execute(sa.text("UPDATE stock SET available = available - :n "
                                                   "WHERE sku = :s AND available >= :n"), {"s": sku, "n": units})
                if not taken.rowcount:
                    connection.rollback()
                    return False
        return True

    @DBOS.step(name="release")
    def release(items: dict[str, int]) -> None:
        for sku, units in sorted(items.items()):
            _change("UPDATE stock SET available = available + :n WHERE sku = :s", s=sku, n=units)

    @DBOS.step(name="charge")
    def charge(customer: str, cents: int) -> bool:
        return bool(_change("UPDATE accounts SET balance = balance - :n WHERE customer = :c AND balance >= :n",
                            c=customer, n=cents))

    @DBOS.step(name="refund")
    def refund(customer: str, cents: int) -> None:
        _change("UPDATE accounts SET balance = balance + :n WHERE customer = :c", c=customer, n=cents)

    @DBOS.step(name="ship")
    def ship(order_id: str, address: str) -> bool:
        return bool(_change("INSERT INTO shipments VALUES (:o, :a, 'created') ON CONFLICT DO NOTHING",
                            o=order_id, a=address))

    order_saga = register_saga(reserve, release, charge, refund, ship)

    config: DBOSConfig = {"name": "ordersaga-bench-durable", "system_database_url": url, "log_level": "WARNING"}
    DBOS(config=config)
    DBOS.launch()
    queue = DBOS.register_queue("orders", worker_concurrency=CONCURRENCY, polling_interval_sec=POLL_S)
    calls = [(order.id, order.customer, order.ship_to, order.units_by_sku(), order.total_cents)
             for order in scenario.orders]
    started, cpu, trips = time.perf_counter(), os.times(), round_trips.counts()["round_trips"]
    handles = [queue.enqueue(order_saga, *call) for call in calls]
    outcomes = [handle.get_result() for handle in handles]
    elapsed, after = time.perf_counter() - started, os.times()
    trips = round_trips.counts()["round_trips"] - trips
    DBOS.destroy()
    db.dispose()
    assert outcomes == ["completed"] * orders, "every saga should complete"
    return {"orders": orders, "orders_per_s": orders / elapsed, "seconds": elapsed, "round_trips": trips,
            "cpu_s": after.user + after.system - cpu.user - cpu.system}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_run_in_this_process(sys.argv[2], int(sys.argv[3]))))
