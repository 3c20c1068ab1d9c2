"""Throughput of the PostgreSQL runtime with one and with two worker processes.

A PostgreSQL 16 from the pgserver wheel, in a scratch folder; `saga_world` orders (all
three steps, zero-latency participants) loaded at once while the workers wait, timed
from the load to the last order settled. The load average is printed beside each
figure: the machine is shared, and one worker already keeps PostgreSQL busy.

    python -m bench.postgres_workers [ORDERS]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from actors import create_database
from actors.postgres.engine import prepare
from actors.postgres.store import unsettled_count
from bench.common import saga_world, scratch_dir

ROOT = Path(__file__).resolve().parent.parent


def _start_worker(url: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "app", "worker", "--db", url, "--id", name], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    while "takes orders from" not in log.read_text():
        if process.poll() is not None:
            raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def measure(orders: int = 1000) -> list[dict[str, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    rows = []
    with scratch_dir() as folder:
        server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
        try:
            for count in (1, 2):
                name = f"bench{count}"
                server.psql(f"CREATE DATABASE {name};")
                url = server.get_uri(name)
                db = prepare(url)
                workers = [_start_worker(url, f"w{n}", folder / f"{name}-w{n}.log") for n in range(1, count + 1)]
                load = os.getloadavg()[0]
                started = time.perf_counter()
                create_database(url, saga_world(orders))
                while True:
                    with db.connect() as connection:
                        if unsettled_count(connection)[0] == 0:
                            break
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait()
                db.dispose()
                rows.append({"workers": count, "orders": orders, "orders_per_s": orders / elapsed,
                             "load_before": load, "load_after": os.getloadavg()[0]})
        finally:
            server.cleanup()
    return rows


def report(rows: list[dict[str, float]]) -> str:
    lines = [f"PostgreSQL runtime (DBOS workers, pgserver's PostgreSQL 16), {rows[0]['orders']:,.0f} "
             "three-step orders"]
    lines += [f"  {row['orders_per_s']:,.0f} orders/s with {row['workers']:.0f} worker"
              f"{'s' if row['workers'] != 1 else ''} (load average {row['load_before']:.1f} before, "
              f"{row['load_after']:.1f} after)" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
