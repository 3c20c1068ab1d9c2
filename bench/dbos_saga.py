"""The same three-step saga on DBOS Transact with its SQLite system database.

Reserve, charge, ship; on a failure the steps done are compensated in reverse.
DBOS checkpoints the workflow and each step's result in SQLite, so a crashed
workflow resumes after its last completed step. The participants' own state
is kept in memory here (ordersaga also makes each participant's change
durable), which favours DBOS. Each configuration runs in its own process,
since DBOS is a singleton.

    python -m bench.dbos_saga [ORDERS]
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import saga_world, scratch_dir

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATIONS = (
    ("one after another, SQLite as DBOS sets it up", "sequential", False),
    ("one after another, SQLite in WAL mode set by hand", "sequential", True),
    ("all started at once, SQLite in WAL mode set by hand", "concurrent", True),
)


def _run_in_this_process(path: Path, orders: int, mode: str, wal: bool) -> dict[str, Any]:
    from dbos import DBOS, DBOSConfig

    if wal:  # the mode is stored in the file: DBOS's connections inherit it
        sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    lock = threading.Lock()
    scenario = saga_world(orders)
    stock = dict(scenario.stock)
    balance = dict(scenario.accounts)
    shipments: dict[str, str] = {}

    @DBOS.step()
    def reserve(items: dict[str, int]) -> bool:
        with lock:
            if any(stock[sku] < quantity for sku, quantity in items.items()):
                return False
            for sku, quantity in items.items():
                stock[sku] -= quantity
            return True

    @DBOS.step()
    def release(items: dict[str, int]) -> None:
        with lock:
            for sku, quantity in items.items():
                stock[sku] += quantity

    @DBOS.step()
    def charge(customer: str, cents: int) -> bool:
        with lock:
            if balance[customer] < cents:
                return False
            balance[customer] -= cents
            return True

    @DBOS.step()
    def refund(customer: str, cents: int) -> None:
        with lock:
            balance[customer] += cents

    @DBOS.step()
    def ship(order_id: str, address: str) -> bool:
        shipments[order_id] = address
        return True

    @DBOS.workflow()
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

    config: DBOSConfig = {"name": "ordersaga-bench", "system_database_url": f"sqlite:///{path}",
                          "log_level": "WARNING"}
    DBOS(config=config)
    DBOS.launch()
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
        handles = [DBOS.start_workflow(order_saga, *call) for call in calls]
        outcomes = [handle.get_result() for handle in handles]
    elapsed = time.perf_counter() - started
    DBOS.destroy()
    assert outcomes == ["completed"] * orders, "every saga should complete"
    return {"orders": orders, "orders_per_s": orders / elapsed}


def measure(orders: int = 1000) -> list[dict[str, Any]]:
    rows = []
    for label, mode, wal in CONFIGURATIONS:
        with scratch_dir() as folder:
            child = subprocess.run(
                [sys.executable, "-m", "bench.dbos_saga", "--child", str(folder / "dbos.sqlite"),
                 str(orders), mode, str(int(wal))],
                cwd=ROOT, capture_output=True, text=True, timeout=900)
        if child.returncode != 0:
            raise RuntimeError(f"DBOS run failed ({label}):\n{child.stderr[-2000:]}")
        rows.append({"label": label, **json.loads(child.stdout.strip().splitlines()[-1])})
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    lines = [f"DBOS Transact, the same saga, {rows[0]['orders']:,} orders, SQLite system database"]
    lines += [f"  {row['orders_per_s']:,.0f} workflows/s: {row['label']}" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        figures = _run_in_this_process(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1")
        print(json.dumps(figures))
    else:
        print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
