"""What every engine benchmark shares: a saga world that can only succeed, fresh
database files, and figures computed from the orders' own timelines."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from actors.saga.domain import OrderRecord, SagaStatus
from actors.saga.scenario import Scenario
from bench.mixed_scenario import mixed_world

PLENTY = 10**9
ROOT = Path(__file__).resolve().parent.parent


def saga_world(orders: int, first: int = 1, latency_ms: dict[str, int] | None = None) -> Scenario:
    """orders reserve-charge-ship sagas with stock and money to spare, so each runs all three steps."""
    world = mixed_world(orders, faults=False, latency_ms=latency_ms or {})
    world["stock"] = {sku: PLENTY for sku in world["stock"]}
    world["accounts"] = {customer: PLENTY for customer in world["accounts"]}
    for number, order in enumerate(world["orders"], start=first):
        order["id"] = f"o-{number}"
    return Scenario.model_validate(world)


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A folder for database files on the same disk as the project (so fsync costs what it does there)."""
    with tempfile.TemporaryDirectory(prefix="ordersaga-bench-", dir=os.environ.get("BENCH_DIR")) as folder:
        yield Path(folder)


# The environment of a command a person runs: their Python keeps the byte code it compiles
# (__pycache__), where a shell that sets PYTHONDONTWRITEBYTECODE would have every timed
# command compile every module again (0.05 to 0.1 s of a short command).
USERS_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def load_average() -> float:
    """The 1-minute load average: on a shared machine, what every figure should be read beside."""
    return os.getloadavg()[0]


def run_child(module: str, *args: str) -> dict[str, Any]:
    """`python -m module --child args` in a fresh interpreter (no heap or threads inherited from
    an earlier run): the JSON figures on the last line of its output, with the load at its start."""
    load = load_average()
    child = subprocess.run([sys.executable, "-m", module, "--child", *args],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
    if child.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{child.stderr[-2000:]}")
    return {**json.loads(child.stdout.strip().splitlines()[-1]), "load": load}


def latencies_ms(records: list[OrderRecord]) -> list[float]:
    """Per completed order: from its first transition to its completion."""
    return [(record.updated_at - record.timeline[0].at).total_seconds() * 1000
            for record in records
            if record.status == SagaStatus.COMPLETED and record.updated_at and record.timeline]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary_ms(values: list[float]) -> str:
    return (f"p50 {percentile(values, 0.50):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
            f"mean {statistics.fmean(values):.1f} ms")


def best_interleaved(ways: Mapping[str, Callable[[], Any]], number: int) -> dict[str, float]:
    """Each way's best time per call, in seconds: five rounds taking the ways in turn, so a burst
    of load on a shared machine hits every way alike."""
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(5):
        for name, way in ways.items():
            best[name] = min(best[name], min(timeit.repeat(way, number=number, repeat=3)) / number)
    return best
