"""Recovery time for 1,000 orders in flight when the process was killed.

A child process runs 1,000 sagas with every payment answer lost (applied and
durable, never answered) and an answer timeout too long to ask again, so all
1,000 wait at payment; then it SIGKILLs itself. Opening the database resumes
them: each payment is asked again with the same idempotency key, answered
from the ledger (never charged twice), and the sagas go on to shipping.

    python -m bench.recovery [ORDERS]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from actors.saga.domain import SagaStatus, Service
from actors.saga.scenario import Fault, FaultKind
from bench.common import load_average, saga_world, scratch_dir
from bench.engine import Engine, EngineSettings, create_database

ROOT = Path(__file__).resolve().parent.parent


def hold_in_flight_then_die(path: Path, orders: int) -> None:
    """Run until every order waits on its lost payment answer, make it all durable, die."""
    engine = Engine.open(path, settings=EngineSettings(max_in_flight=orders, answer_timeout_s=3600))
    payment = engine.participants[Service.PAYMENT]
    while len(payment.report().get()["charges"]) < orders:
        time.sleep(0.05)
    engine.storage.flush().get()
    os.kill(os.getpid(), signal.SIGKILL)


def measure(orders: int = 1000) -> dict[str, Any]:
    scenario = saga_world(orders).model_copy(update={"faults": (
        Fault(service=Service.PAYMENT, kind=FaultKind.LOST_REPLY, times=orders),)})
    with scratch_dir() as folder:
        path = folder / "recovery.db"
        create_database(path, scenario)
        child = subprocess.run([sys.executable, "-m", "bench.recovery", "--hold", str(path), str(orders)],
                               cwd=ROOT, timeout=600)
        assert child.returncode == -signal.SIGKILL, f"the child ended with {child.returncode}"
        load = load_average()
        started = time.perf_counter()
        with Engine.open(path) as engine:
            opened = time.perf_counter()
            in_flight = sum(1 for r in engine.records() if r.status == SagaStatus.RUNNING)
            engine.wait_until_settled()
            finished = time.perf_counter()
            snapshot = engine.snapshot()  # settled orders are archived: the snapshot reads them too
    assert all(record.status == SagaStatus.COMPLETED for record in snapshot.records)
    charged = Counter(charge["order"] for charge in snapshot.payment["charges"])
    assert len(charged) == orders and set(charged.values()) == {1}, "a payment was applied twice"
    return {"orders": orders, "in_flight": in_flight, "open_s": opened - started,
            "recovered_s": finished - started, "load": load}


def report(figures: dict[str, Any]) -> str:
    return "\n".join([
        f"Recovery: {figures['in_flight']:,} orders in flight when the process was SIGKILLed "
        "(each charged, its answer lost)",
        f"  database opened and sagas resumed in {figures['open_s']:.2f} s; "
        f"all {figures['orders']:,} completed {figures['recovered_s']:.2f} s after opening began "
        f"(load {figures['load']:.2f})",
    ])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hold"]:
        hold_in_flight_then_die(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
