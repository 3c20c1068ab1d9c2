"""Durable orders per second with zero-latency participants, and each order's latency.

Every transition is durable before it is acted on: the coordinator's record
before its command goes out, a participant's change before its reply. Writes
that arrive together share one fsync (group commit).

    python -m bench.throughput [ORDERS]
    python -m bench.throughput --child ORDERS    the figures as one line of JSON (for run_child)
    python -m bench.throughput --child-paused ORDERS
        the same, but it prints "ready" once the database is built and "settled" once the
        last order is, and waits for a line on its input after each: a profiler attaches
        at the first and stops at the second, so it samples only the run
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from actors.saga.domain import SagaStatus
from bench.common import latencies_ms, load_average, run_child, saga_world, scratch_dir, summary_ms
from bench.engine import Engine, create_database
from storage.store import DocumentStore


@contextmanager
def counted(owner: Any, name: str) -> Iterator[list[int]]:
    """Count the calls of owner.name made inside the block (os.fsync, DocumentStore.put)."""
    count = [0]
    real = getattr(owner, name)

    def counting(*args: Any) -> Any:
        count[0] += 1
        return real(*args)

    setattr(owner, name, counting)
    try:
        yield count
    finally:
        setattr(owner, name, real)


def measure(orders: int = 2000, pause: Callable[[str], None] = lambda moment: None) -> dict[str, Any]:
    load = load_average()
    with scratch_dir() as folder:
        path = folder / "throughput.db"
        create_database(path, saga_world(orders))
        pause("ready")
        with counted(os, "fsync") as fsyncs, counted(DocumentStore, "put") as writes:
            started, cpu_started = time.perf_counter(), time.process_time()
            with Engine.open(path) as engine:
                opened = time.perf_counter()
                engine.wait_until_settled()
                finished, cpu_finished = time.perf_counter(), time.process_time()
                pause("settled")
                records = engine.records()
    completed = sum(1 for record in records if record.status == SagaStatus.COMPLETED)
    assert completed == orders, f"only {completed} of {orders} orders completed"
    return {
        "orders": orders,
        "orders_per_s": orders / (finished - started),
        "open_s": opened - started,
        "run_s": finished - started,
        # CPU of every thread of the process: on a shared machine, steadier than orders/s.
        "cpu_ms_per_order": (cpu_finished - cpu_started) * 1000 / orders,
        "latencies_ms": latencies_ms(records),
        "fsyncs": fsyncs[0],
        "writes": writes[0],
        "load": load,
    }


def measure_in_child(orders: int) -> dict[str, Any]:
    """measure() in a fresh interpreter."""
    return run_child("bench.throughput", str(orders))


def report(figures: dict[str, Any]) -> str:
    per_fsync = figures["writes"] / max(figures["fsyncs"], 1)
    return "\n".join([
        f"Throughput: {figures['orders']:,} orders, 3 steps each, zero-latency participants",
        f"  {figures['orders_per_s']:,.0f} durable orders/s "
        f"({figures['run_s']:.2f} s from opening the database to the last order settled; "
        f"load {figures['load']:.2f})",
        f"  {figures['cpu_ms_per_order']:.2f} ms of CPU per order (every thread of the process)",
        f"  order latency {summary_ms(figures['latencies_ms'])} (first transition to completion)",
        f"  {figures['fsyncs']:,} fsyncs for {figures['writes']:,} document writes "
        f"({figures['writes'] / figures['orders']:.1f} per order): {per_fsync:.0f} per fsync (group commit)",
    ])


def wait_for_go(moment: str) -> None:
    """Say the run has reached moment, and wait for the line that lets it go on."""
    print(moment, flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--child-paused"]:
        print(json.dumps(measure(int(sys.argv[2]), pause=wait_for_go)))
    else:
        print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
