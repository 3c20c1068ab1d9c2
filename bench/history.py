"""Time per order with few versus many orders already stored.

A store that rewrote everything per write (TinyDB's JSONStorage) would make
the 10,000th order far slower than the first; the journal writes only the
documents a transition changed, so the per-order time should not grow.

    python -m bench.history [NEW_ORDERS]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from actors.mapper import order_document
from actors.saga.domain import OrderRecord, SagaStatus
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


def _build(path: Path, stored: int, new: int) -> None:
    """A database with `stored` settled orders and `new` pending ones behind them."""
    _store_history(path, stored)
    _add_pending(path, stored + 1, new)


def _copy_database(source: Path, target: Path) -> None:
    """The database at source, with its archive files, as a new database at target."""
    for file in source.parent.glob(source.name + "*"):
        if not file.name.endswith(".lock"):
            shutil.copyfile(file, target.with_name(target.name + file.name[len(source.name):]))


def run_once(built: Path, stored: int, new: int, folder: Path) -> dict[str, Any]:
    """Open a copy of a built database and run its pending orders: the time per order."""
    path = folder / "run.db"
    for stale in folder.glob("run.db*"):
        stale.unlink()
    _copy_database(built, path)
    load = load_average()
    started = time.perf_counter()
    with Engine.open(path) as engine:
        opened = time.perf_counter()
        engine.wait_until_settled()
        finished = time.perf_counter()
        statuses = [record.status for record in engine.records()]
    assert statuses.count(SagaStatus.COMPLETED) == stored + new
    return {"stored": stored, "new": new, "open_s": opened - started,
            "ms_per_order": (finished - opened) / new * 1000, "size_mb": built.stat().st_size / 1e6,
            "load": load}


Runs = dict[int, list[dict[str, Any]]]  # each size's runs, in the order they ran


def measure(new: int = 2000, rounds: int = 3, sizes: tuple[int, ...] = (100, 10_000)) -> Runs:
    """Each size's runs, taking turns (ABABAB) on copies of databases built once."""
    with scratch_dir() as folder:
        built = {stored: folder / f"history-{stored}.db" for stored in sizes}
        for stored, path in built.items():
            _build(path, stored, new)
        runs: Runs = {stored: [] for stored in sizes}
        for _ in range(rounds):
            for stored, path in built.items():
                runs[stored].append(run_once(path, stored, new, folder))
    return runs


def median_ms(runs: list[dict[str, Any]]) -> float:
    return statistics.median(run["ms_per_order"] for run in runs)


def ratio(runs: Runs) -> float:
    """The most stored orders' median time per order over the fewest's."""
    return median_ms(runs[max(runs)]) / median_ms(runs[min(runs)])


def report(runs: Runs) -> str:
    new, rounds = runs[min(runs)][0]["new"], len(runs[min(runs)])
    lines = [f"History: time per order while {new:,} new orders run, {rounds} rounds taking turns"]
    for stored, each in runs.items():
        figures = ", ".join(f"{run['ms_per_order']:.3f} (load {run['load']:.2f})" for run in each)
        opening_s = statistics.median(run["open_s"] for run in each)
        lines.append(f"  {stored:>6,} stored orders: median {median_ms(each):.3f} ms per order; "
                     f"runs {figures}; opening the {each[0]['size_mb']:.1f} MB database took {opening_s:.2f} s")
    lines.append(f"  ratio {ratio(runs):.2f}x (of medians)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
