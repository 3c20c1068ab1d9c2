"""ordersaga against DBOS Transact on the same saga, the same orders, interleaved.

The machine is shared and its load drifts over minutes, so the systems take
turns (ordersaga, DBOS on SQLite, DBOS on PostgreSQL, then again, three
rounds) instead of each running its batch minutes apart; every run is a
fresh interpreter, so none inherits another's heap or threads.

    python -m bench.compare [ORDERS]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bench import dbos_saga, throughput
from bench.postgres import PostgresUnavailable

# Enough for ordersaga to run a couple of seconds at full speed (a few hundred group commits),
# while DBOS, at about a hundred workflows/s, takes some 20 s per run: three rounds fit in
# about three minutes.
ORDERS = 2000
ROUNDS = 3
ORDERSAGA = "ordersaga"
SQLITE = "DBOS on SQLite"
POSTGRES = "DBOS on PostgreSQL"
GOAL_OVER_SQLITE = 15


def measure(orders: int = ORDERS, rounds: int = ROUNDS) -> dict[str, list[dict[str, Any]]]:
    """Each system's runs, in round order (none for one that could not run: it says why, once)."""
    systems: dict[str, Callable[[int], dict[str, Any]]] = {
        ORDERSAGA: throughput.measure_in_child, SQLITE: dbos_saga.on_sqlite, POSTGRES: dbos_saga.on_postgres}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    skipped: set[str] = set()
    print(f"Throughput: ordersaga and DBOS Transact taking turns, {orders:,} three-step orders per run, "
          f"{rounds} rounds, each run in a fresh process", flush=True)
    for number in range(1, rounds + 1):
        for name, run in systems.items():
            if name in skipped:
                continue
            try:
                figures = run(orders)
            except PostgresUnavailable as why:
                skipped.add(name)
                print(f"  {name} skipped: the embedded PostgreSQL server did not start: {why}", flush=True)
                continue
            runs[name].append(figures)
            print(f"  round {number}: {name:<18} {figures['orders_per_s']:7,.0f} orders/s "
                  f"(load {figures['load']:.2f})", flush=True)
    return runs


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose rate is the median (the lower middle one for an even count)."""
    return sorted(runs, key=lambda run: run["orders_per_s"])[(len(runs) - 1) // 2]


def median_rate(runs: list[dict[str, Any]]) -> float:
    return median_run(runs)["orders_per_s"]


def ratio_over_sqlite(runs: dict[str, list[dict[str, Any]]]) -> float:
    return median_rate(runs[ORDERSAGA]) / median_rate(runs[SQLITE])


def report(runs: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for name, system_runs in runs.items():
        if system_runs:
            rates = [run["orders_per_s"] for run in system_runs]
            loads = ", ".join(f"{run['load']:.2f}" for run in system_runs)
            lines.append(f"  {name:<18} median {median_rate(system_runs):7,.0f} orders/s, "
                         f"spread {min(rates):,.0f}..{max(rates):,.0f} (load {loads})")
    ours = median_rate(runs[ORDERSAGA])
    lines += [f"  ordersaga / {name}: {ours / median_rate(system_runs):.1f}x (ratio of medians)"
              for name, system_runs in runs.items() if name != ORDERSAGA and system_runs]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else ORDERS)))
