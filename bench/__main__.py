"""Every engine benchmark in one run, with the machine it ran on and the goals.

    make bench            (installs the bench extra, DBOS included, then runs this)
    python -m bench       (the same, once the extra is installed)
"""

from __future__ import annotations

import os
import platform
import sys

from bench import dbos_saga, history, recovery, throughput

GOALS = "goals: >= 1,000 durable orders/s; 10,000 stored within 1.5x of 100; 1,000 in flight recovered < 2 s"


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"Machine: {model}, {os.cpu_count()} cores; Python {platform.python_version()}; "
            f"load average at start {load}")


def verdict(met: bool) -> str:
    return "goal met" if met else "GOAL MISSED"


def main() -> None:
    print(machine(), flush=True)
    # The machine is shared: take the median of three runs, and show the spread.
    runs = sorted((throughput.measure(5000) for _ in range(3)), key=lambda run: run["orders_per_s"])
    flow = runs[1]
    print(throughput.report(flow), flush=True)
    print("  median of 3 runs: " + ", ".join(f"{run['orders_per_s']:,.0f}" for run in runs)
          + " orders/s", flush=True)
    rows = history.measure(2000)
    print(history.report(rows), flush=True)
    recovered = recovery.measure(1000)
    print(recovery.report(recovered), flush=True)
    dbos = dbos_saga.measure(1000)
    print(dbos_saga.report(dbos), flush=True)

    ratio = rows[1]["ms_per_order"] / rows[0]["ms_per_order"]
    best = max(dbos, key=lambda row: row["orders_per_s"])
    print("Summary")
    print(f"  ordersaga {flow['orders_per_s']:,.0f} durable orders/s vs DBOS on SQLite "
          f"{best['orders_per_s']:,.0f} workflows/s at best ({best['label']}): "
          f"{flow['orders_per_s'] / best['orders_per_s']:.1f}x")
    print(f"  {verdict(flow['orders_per_s'] >= 1000)}: {flow['orders_per_s']:,.0f} durable orders/s")
    print(f"  {verdict(ratio <= 1.5)}: {ratio:.2f}x time per order with 10,000 stored orders vs 100")
    print(f"  {verdict(recovered['recovered_s'] < 2)}: {recovered['recovered_s']:.2f} s to recover "
          f"{recovered['in_flight']:,} orders in flight")
    print(f"  ({GOALS})")


if __name__ == "__main__":
    sys.exit(main())
