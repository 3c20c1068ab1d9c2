"""Time per order with few versus many orders already stored.

A store that rewrote everything per write (TinyDB's JSONStorage) would make
the 10,000th order far slower than the first; the journal writes only the
documents a transition changed, so the per-order time should not grow.

    python -m bench.history [NEW_ORDERS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from actors.domain import OrderRecord, SagaStatus
from actors.mapper import order_document
from bench.common import load_average, saga_world, scratch_dir
from bench.engine import Engine, create_database
from storage.store import DocumentStore


def _store_history(path: Path, stored: int) -> None:
    """A database whose `stored` orders all ran to completion."""
    create_database(path, saga_world(stored))
    with Engine.open(path) as engine:
        engine.wait_until_settled()


def _add_pending(path: Path, first: int, count: int) -> None:
    """New orders, pending, as a front end would place them."""
    store = DocumentStore(path, create=False)
    try:
        for order in saga_world(count, first=first).orders:
            store.put(*order_document(OrderRecord(order=order)))
        store.flush()
    finally:
        store.close()


def measure_one(stored: int, new: int) -> dict[str, Any]:
    with scratch_dir() as folder:
        path = folder / f"history-{stored}.db"
        _store_history(path, stored)
        _add_pending(path, stored + 1, new)
        load = load_average()
        started = time.perf_counter()
        with Engine.open(path) as engine:
            opened = time.perf_counter()
            engine.wait_until_settled()
            finished = time.perf_counter()
            statuses = [record.status for record in engine.records()]
        size_mb = path.stat().st_size / 1e6
    assert statuses.count(SagaStatus.COMPLETED) == stored + new
    return {"stored": stored, "new": new, "open_s": opened - started,
            "ms_per_order": (finished - opened) / new * 1000, "size_mb": size_mb, "load": load}


def measure(new: int = 2000) -> list[dict[str, Any]]:
    return [measure_one(100, new), measure_one(10_000, new)]


def report(rows: list[dict[str, Any]]) -> str:
    few, many = rows
    lines = [f"History: time per order while {few['new']:,} new orders run"]
    for row in rows:
        lines.append(f"  {row['stored']:>6,} stored orders: {row['ms_per_order']:.3f} ms per order "
                     f"(opening the {row['size_mb']:.1f} MB database took {row['open_s']:.2f} s; "
                     f"load {row['load']:.2f})")
    lines.append(f"  ratio {many['ms_per_order'] / few['ms_per_order']:.2f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
