"""Durable orders per second with zero-latency participants, and each order's latency.

Every transition is durable before it is acted on: the coordinator's record
before its command goes out, a participant's change before its reply. Writes
that arrive together share one fsync (group commit).

    python -m bench.throughput [ORDERS]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from actors.domain import SagaStatus
from actors.engine import Engine, create_database
from bench.common import latencies_ms, saga_world, scratch_dir, summary_ms


@contextmanager
def counted_fsyncs() -> Iterator[list[int]]:
    """Count the fsyncs made inside the block (os.fsync is what the journal calls)."""
    count = [0]
    real = os.fsync

    def fsync(fd: Any) -> None:
        count[0] += 1
        real(fd)

    os.fsync = fsync
    try:
        yield count
    finally:
        os.fsync = real


def measure(orders: int = 5000) -> dict[str, Any]:
    with scratch_dir() as folder:
        path = folder / "throughput.db"
        create_database(path, saga_world(orders))
        with counted_fsyncs() as fsyncs:
            started = time.perf_counter()
            with Engine.open(path) as engine:
                opened = time.perf_counter()
                engine.wait_until_settled()
                finished = time.perf_counter()
                records = engine.records()
    completed = sum(1 for record in records if record.status == SagaStatus.COMPLETED)
    assert completed == orders, f"only {completed} of {orders} orders completed"
    transitions = sum(len(record.timeline) for record in records)  # each event is one durable write
    return {
        "orders": orders,
        "orders_per_s": orders / (finished - started),
        "open_s": opened - started,
        "run_s": finished - started,
        "latencies_ms": latencies_ms(records),
        "fsyncs": fsyncs[0],
        "coordinator_writes": transitions - 3 * orders,  # a reply and the next start share a write
    }


def report(figures: dict[str, Any]) -> str:
    per_fsync = (figures["coordinator_writes"] + 3 * figures["orders"]) / max(figures["fsyncs"], 1)
    return "\n".join([
        f"Throughput: {figures['orders']:,} orders, 3 steps each, zero-latency participants",
        f"  {figures['orders_per_s']:,.0f} durable orders/s "
        f"({figures['run_s']:.2f} s from opening the database to the last order settled)",
        f"  order latency {summary_ms(figures['latencies_ms'])} (first transition to completion)",
        f"  {figures['fsyncs']:,} fsyncs for {figures['coordinator_writes'] + 3 * figures['orders']:,} "
        f"durable writes: {per_fsync:.0f} writes per fsync (group commit)",
    ])


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)))
