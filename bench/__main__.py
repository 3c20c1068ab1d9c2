"""Every engine benchmark in one run, with the machine it ran on and the goals.

    make bench            (installs the bench extra, DBOS and pgserver included, then runs this)
    python -m bench       (the same, once the extra is installed)
"""

from __future__ import annotations

import os
import platform
import sys

from bench import compare, history, postgres_workers, recovery, throughput
from bench.common import percentile

ORDERS_PER_S = 2000
P99_MS = 50
GOALS = (f"goals: >= {ORDERS_PER_S:,} durable orders/s with p99 latency < {P99_MS} ms; "
         f"{compare.GOAL_OVER_SQLITE}x DBOS on SQLite; "
         "10,000 stored within 1.5x of 100; 1,000 in flight recovered < 2 s")


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


def run() -> None:
    print(machine(), flush=True)
    runs = compare.measure()
    print(compare.report(runs), flush=True)
    flow = compare.median_run(runs[compare.ORDERSAGA])
    print("ordersaga's median run, in detail", flush=True)
    print(throughput.report(flow), flush=True)
    histories = history.measure(2000)
    print(history.report(histories), flush=True)
    recovered = recovery.measure(1000)
    print(recovery.report(recovered), flush=True)
    postgres: list[tuple[bool, str]] = []
    try:  # the PostgreSQL runtime beside DBOS with durable tables: 600 orders, 3 rounds, about a minute
        workers = postgres_workers.measure(600)
        print(postgres_workers.report(workers), flush=True)
        postgres = postgres_workers.goals(workers)
    except (ImportError, OSError, RuntimeError) as error:  # no pgserver here, or it cannot start
        print(f"PostgreSQL runtime: skipped, its server could not start ({error})", flush=True)

    over_sqlite = compare.ratio_over_sqlite(runs)
    ratio = history.ratio(histories)
    print("Summary")
    p99 = percentile(flow["latencies_ms"], 0.99)
    print(f"  {verdict(flow['orders_per_s'] >= ORDERS_PER_S)}: {flow['orders_per_s']:,.0f} durable orders/s "
          f"(the median run)")
    print(f"  {verdict(p99 < P99_MS)}: p99 order latency {p99:.1f} ms in that run")
    goal = compare.GOAL_OVER_SQLITE
    print(f"  {verdict(over_sqlite >= goal)}: {goal}x DBOS on SQLite: {over_sqlite:.1f}x (ratio of medians)")
    print(f"  {verdict(ratio <= 1.5)}: {ratio:.2f}x time per order with 10,000 stored orders vs 100 "
          "(ratio of medians)")
    print(f"  {verdict(recovered['recovered_s'] < 2)}: {recovered['recovered_s']:.2f} s to recover "
          f"{recovered['in_flight']:,} orders in flight")
    for met, said in postgres:
        print(f"  {verdict(met)}: {said}")
    print(f"  ({GOALS})")


def main() -> int:
    try:
        run()
    except KeyboardInterrupt:
        print("Interrupted: the benchmark stopped early (any PostgreSQL server it started is stopped).",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
