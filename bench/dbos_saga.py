"""The same three-step saga on DBOS Transact, its system database on SQLite or PostgreSQL.

Reserve, charge, ship; on a failure the steps done are compensated in reverse.
DBOS checkpoints the workflow and each step's result in its system database,
so a crashed workflow resumes after its last completed step. The
participants' own state is kept in memory here (ordersaga also makes each
participant's change durable), which favours DBOS. Every run is a fresh
process with a fresh database, since DBOS is a singleton.

    python -m bench.dbos_saga [ORDERS]     every configuration below, on SQLite and PostgreSQL
    python -m bench.dbos_saga --child URL ORDERS MODE WAL    one run, its figures as JSON (for run_child)
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from actors.saga.settings import EngineSettings
from bench.common import run_child, saga_world, scratch_dir
from bench.postgres import PostgresUnavailable, embedded_postgres

QUEUE_CONCURRENCY = EngineSettings().max_in_flight
# (label, how the workflows are started, SQLite in WAL mode), all shown by `python -m bench.dbos_saga`.
CONFIGURATIONS = (
    ("one after another", "sequential", True),
    ("one after another, SQLite as DBOS sets it up", "sequential", False),
    ("all started at once", "concurrent", True),
    (f"through a queue polled every 10 ms, {QUEUE_CONCURRENCY} at a time (ordersaga's max_in_flight)",
     "queue", True),
)
# `make bench` gives DBOS the configuration that was fastest on this machine for each database.
SQLITE_MODE = "sequential"  # in WAL mode
POSTGRES_MODE = "concurrent"


def register_saga(reserve: Callable[[dict[str, int]], bool], release: Callable[[dict[str, int]], None],
                  charge: Callable[[str, int], bool], refund: Callable[[str, int], None],
                  ship: Callable[[str, str], bool]) -> Callable[..., str]:
    """The saga as a DBOS workflow over its five steps: reserve, charge, ship; on a failure the
    steps done are compensated in reverse."""
    from dbos import DBOS

    @DBOS.workflow(name="order_saga")
    def order_saga(order_id: str, customer: str, address: str, items: dict[str, int], cents: int) -> str:
        if not reserve(items):
            return "failed"
        if not charge(customer, cents):
            release(items)
            return "failed"
        if not ship(order_id, address):
            refund(customer, cents)
            release(items)
            return "failed"
        return "completed"

    return order_saga


def _run_in_this_process(url: str, orders: int, mode: str, wal: bool) -> dict[str, Any]:
    from dbos import DBOS, DBOSConfig

    if wal and url.startswith("sqlite:///"):  # the mode is stored in the file: DBOS's connections inherit it
        sqlite3.connect(url.removeprefix("sqlite:///")).execute("PRAGMA journal_mode=WAL").close()
    lock = threading.Lock()
    scenario = saga_world(orders)
    stock = dict(scenario.stock)
    balance = dict(scenario.accounts)
    shipments: dict[str, str] = {}

    @DBOS.step(name="reserve")
    def reserve(items: dict[str, int]) -> bool:
        with lock:
            if any(stock[sku] < quantity for sku, quantity in items.items()):
                return False
            for sku, quantity in items.items():
                stock[sku] -= quantity
            return True

    @DBOS.step(name="release")
    def release(items: dict[str, int]) -> None:
        with lock:
            for sku, quantity in items.items():
                stock[sku] += quantity

    @DBOS.step(name="charge")
    def charge(customer: str, cents: int) -> bool:
        with lock:
            if balance[customer] < cents:
                return False
            balance[customer] -= cents
            return True

    @DBOS.step(name="refund")
    def refund(customer: str, cents: int) -> None:
        with lock:
            balance[customer] += cents

    @DBOS.step(name="ship")
    def ship(order_id: str, address: str) -> bool:
        shipments[order_id] = address
        return True

    order_saga = register_saga(reserve, release, charge, refund, ship)

    config: DBOSConfig = {"name": "ordersaga-bench", "system_database_url": url, "log_level": "WARNING"}
    DBOS(config=config)
    DBOS.launch()
    queue = (DBOS.register_queue("orders", worker_concurrency=QUEUE_CONCURRENCY, polling_interval_sec=0.01)
             if mode == "queue" else None)  # registered after launch, as DBOS requires
    calls = []
    for order in scenario.orders:
        items: dict[str, int] = {}
        for item in order.items:
            items[item.sku] = items.get(item.sku, 0) + item.quantity
        calls.append((order.id, order.customer, order.ship_to, items, order.total_cents))
    started = time.perf_counter()
    if mode == "sequential":
        outcomes = [order_saga(*call) for call in calls]
    else:
        handles = ([queue.enqueue(order_saga, *call) for call in calls] if queue
                   else [DBOS.start_workflow(order_saga, *call) for call in calls])
        outcomes = [handle.get_result() for handle in handles]
    elapsed = time.perf_counter() - started
    DBOS.destroy()
    assert outcomes == ["completed"] * orders, "every saga should complete"
    return {"orders": orders, "orders_per_s": orders / elapsed}


def measure(orders: int, url: str, mode: str, wal: bool = True) -> dict[str, Any]:
    """One run in a fresh interpreter; url names a system database that does not exist yet."""
    return run_child("bench.dbos_saga", url, str(orders), mode, str(int(wal)))


def on_sqlite(orders: int, mode: str = SQLITE_MODE, wal: bool = True) -> dict[str, Any]:
    with scratch_dir() as folder:
        return measure(orders, f"sqlite:///{folder / 'dbos.sqlite'}", mode, wal)


def on_postgres(orders: int, mode: str = POSTGRES_MODE) -> dict[str, Any]:
    """On a server of its own, started for this run and stopped after it, so that no
    checkpoint or vacuum of it runs while another system is measured. Raises PostgresUnavailable."""
    with scratch_dir() as folder, embedded_postgres(folder / "pgdata") as server:
        return measure(orders, server.get_uri("dbos"), mode)


def _every_configuration(orders: int) -> None:
    for label, mode, wal in CONFIGURATIONS:
        row = on_sqlite(orders, mode, wal)
        print(f"  SQLite     {row['orders_per_s']:5,.0f} workflows/s: {label} (load {row['load']:.2f})",
              flush=True)
    for label, mode, wal in CONFIGURATIONS:
        if wal:  # the journal mode is SQLite's alone
            try:
                row = on_postgres(orders, mode)
            except PostgresUnavailable as why:
                print(f"  PostgreSQL skipped: the embedded server did not start: {why}")
                return
            print(f"  PostgreSQL {row['orders_per_s']:5,.0f} workflows/s: {label} (load {row['load']:.2f})",
                  flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        url, orders, mode, wal = sys.argv[2:6]
        print(json.dumps(_run_in_this_process(url, int(orders), mode, wal == "1")))
    else:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
        print(f"DBOS Transact, the same saga, {count:,} orders, each run in a fresh process")
        _every_configuration(count)
