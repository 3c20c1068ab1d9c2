"""The PostgreSQL runtime beside its fair peer: the same saga written directly on DBOS
Transact with durable participant tables (bench.dbos_durable), taking turns on one
PostgreSQL 16 from the pgserver wheel, each run in a fresh database.

`saga_world` orders (three steps, zero-latency participants) are loaded at once while one
ordersaga worker waits, and timed from the load to the last order settled. For each run:
orders/s, the CPU per order of the worker (or DBOS process) and of PostgreSQL (from /proc,
through psutil), PostgreSQL's commits per order (pg_stat_database), and the round trips
per order that the worker and the loader (or the DBOS process) make (bench.round_trips).
Then one round with two ordersaga workers, and how many workers a PostgreSQL of N cores
serves. The load average is printed beside each figure.

    python -m bench.postgres_workers [ORDERS] [ROUNDS]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from actors import create_database
from actors.postgres.queue import prepare
from actors.postgres.store import unsettled_count
from bench import round_trips
from bench.common import run_child, saga_world, scratch_dir

ROOT = Path(__file__).resolve().parent.parent
GOAL_OVER_DBOS = 1.5
GOAL_ORDERS_PER_S = 100


def _start_worker(url: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    """A worker counting its round trips into a file beside its log (bench.round_trips)."""
    process = subprocess.Popen([sys.executable, "-m", "bench.round_trips", str(log.with_suffix(".trips")),
                                "worker", "--db", url, "--id", name], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    while "takes orders from" not in log.read_text():
        if process.poll() is not None:
            raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds (user and system) of the processes, of their children alive, and of those
    that ended and were reaped (a PostgreSQL backend ends with its client's connection)."""
    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            own = process.cpu_times()
            total += own.user + own.system + own.children_user + own.children_system
            family = process.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for member in family:
            try:
                times = member.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    return total


def _commits(server: Any, database: str) -> int:
    out = server.psql(f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{database}';")
    return int(next(line for line in out.splitlines() if line.strip().isdigit()).strip())


def _measured(server: Any, database: str, orders: int,
              run: Callable[[], tuple[float, float, int]]) -> dict[str, Any]:
    """One run (its seconds, its clients' CPU seconds and round trips), with PostgreSQL's CPU
    and commits, per order."""
    postgres = [int(server.get_pid())]
    load = os.getloadavg()[0]
    commits, pg_cpu = _commits(server, database), _cpu_s(postgres)
    elapsed, cpu, trips = run()
    time.sleep(0.6)  # pg_stat_database is sent by each backend at most every 0.5 s
    return {"orders": orders, "orders_per_s": orders / elapsed, "load": load,
            "client_cpu_ms": 1000 * cpu / orders,
            "postgres_cpu_ms": 1000 * (_cpu_s(postgres) - pg_cpu) / orders,
            "commits": (_commits(server, database) - commits) / orders, "round_trips": trips / orders}


def _ordersaga(server: Any, name: str, orders: int, workers: int, folder: Path) -> dict[str, Any]:
    server.psql(f"CREATE DATABASE {name};")
    url = server.get_uri(name)
    db = prepare(url)
    started_workers = [_start_worker(url, f"w{n}", folder / f"{name}-w{n}.log") for n in range(1, workers + 1)]

    def trips() -> int:
        return sum(round_trips.ask(w.pid, folder / f"{name}-w{n}.trips")["round_trips"]
                   for n, w in enumerate(started_workers, 1))

    def run() -> tuple[float, float, int]:
        scenario = saga_world(orders)
        worker_trips, cpu = trips(), _cpu_s([w.pid for w in started_workers])
        started = time.perf_counter()
        loaded = round_trips.counts()["round_trips"]
        create_database(url, scenario)  # the loader's enqueues are part of the orders' cost
        loader_trips = round_trips.counts()["round_trips"] - loaded
        while True:
            with db.connect() as connection:
                if unsettled_count(connection)[0] == 0:
                    break
            time.sleep(0.02)
        elapsed, cpu = time.perf_counter() - started, _cpu_s([w.pid for w in started_workers]) - cpu
        return elapsed, cpu, trips() - worker_trips + loader_trips

    try:
        return _measured(server, name, orders, run)
    finally:
        for worker in started_workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait()
        db.dispose()


def _dbos(server: Any, name: str, orders: int) -> dict[str, Any]:
    server.psql(f"CREATE DATABASE {name};")

    def run() -> tuple[float, float, int]:
        child = run_child("bench.dbos_durable", server.get_uri(name), str(orders))
        return child["seconds"], child["cpu_s"], child["round_trips"]

    return _measured(server, name, orders, run)


def measure(orders: int = 600, rounds: int = 3) -> dict[str, list[dict[str, Any]]]:
    """ordersaga (one worker) and DBOS with durable tables in turns, then two workers once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    runs: dict[str, list[dict[str, Any]]] = {"ordersaga": [], "dbos": [], "two workers": []}
    round_trips.install()  # the loader's, in this process
    with scratch_dir() as folder:
        server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
        try:
            for round_ in range(rounds):
                runs["ordersaga"].append(_ordersaga(server, f"saga{round_}", orders, 1, folder))
                runs["dbos"].append(_dbos(server, f"dbos{round_}", orders))
            runs["two workers"].append(_ordersaga(server, "two", orders, 2, folder))
        finally:
            server.cleanup()
    return runs


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def report(runs: dict[str, list[dict[str, Any]]]) -> str:
    orders = runs["ordersaga"][0]["orders"]
    lines = [f"PostgreSQL runtime beside the same saga on DBOS with durable tables, {orders:,} three-step "
             "orders, one worker each, taking turns on pgserver's PostgreSQL 16"]
    for label, rows in runs.items():
        for row in rows:
            lines.append(f"  {label:<11} {row['orders_per_s']:6,.0f} orders/s; CPU per order "
                         f"{row['client_cpu_ms']:.2f} ms in the worker, {row['postgres_cpu_ms']:.2f} ms in "
                         f"PostgreSQL; {row['round_trips']:.0f} round trips and {row['commits']:.1f} commits per order "
                         f"(load {row['load']:.1f})")
    saga, dbos = _median(runs["ordersaga"], "orders_per_s"), _median(runs["dbos"], "orders_per_s")
    load = _median(runs["ordersaga"] + runs["dbos"], "load")
    lines.append(f"  medians: ordersaga {saga:,.0f}, DBOS with durable tables {dbos:,.0f} orders/s: "
                 f"{saga / dbos:.2f}x (load {load:.1f})")
    lines.append("  " + sizing(runs))
    return "\n".join(lines)


def sizing(runs: dict[str, list[dict[str, Any]]]) -> str:
    """What one core of each side carries, from the median CPU per order of the one-worker runs,
    and so how many workers a PostgreSQL of N cores serves (a worker is one Python process: at
    best one core)."""
    worker_ms, pg_ms = _median(runs["ordersaga"], "client_cpu_ms"), _median(runs["ordersaga"], "postgres_cpu_ms")
    return (f"sizing: one worker core carries about {1000 / worker_ms:,.0f} orders/s, one PostgreSQL core about "
            f"{1000 / pg_ms:,.0f} orders/s; a PostgreSQL of N cores serves about {worker_ms / pg_ms:.1f} x N "
            "busy workers")


def goals(runs: dict[str, list[dict[str, Any]]]) -> list[tuple[bool, str]]:
    saga, dbos = _median(runs["ordersaga"], "orders_per_s"), _median(runs["dbos"], "orders_per_s")
    return [(saga >= GOAL_OVER_DBOS * dbos, f"PostgreSQL runtime {saga / dbos:.2f}x DBOS with durable tables "
                                             f"(goal {GOAL_OVER_DBOS}x)"),
            (saga >= GOAL_ORDERS_PER_S, f"PostgreSQL runtime {saga:,.0f} orders/s with one worker "
                                        f"(goal {GOAL_ORDERS_PER_S})")]


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 600,
                         int(sys.argv[2]) if len(sys.argv) > 2 else 3)))
