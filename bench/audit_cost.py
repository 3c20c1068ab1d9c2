"""How long the audit takes on a settled world, and the snapshot it reads.

    python bench/audit_cost.py              # 200 and 2000 mixed orders
    python bench/audit_cost.py 5000

Runs each world to the end in a temporary database (no latency, so it is
quick), then times `Engine.snapshot()` and `audit()` over a few repeats.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.audit import audit  # noqa: E402
from app.scenario import parse_scenario  # noqa: E402
from bench.engine import Engine, create_database  # noqa: E402
from bench.mixed_scenario import mixed_world  # noqa: E402

REPEATS = 5


def best_of(repeats: int, work: object) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def measure(orders: int) -> None:
    scenario = parse_scenario(mixed_world(orders, latency_ms={}), f"{orders} mixed orders")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        create_database(path, scenario)
        with Engine.open(path) as engine:
            engine.wait_until_settled()
            snapshot = engine.snapshot()
            snapshot_s = best_of(REPEATS, engine.snapshot)
        findings = audit(snapshot)
        audit_s = best_of(REPEATS, lambda: audit(snapshot))
    print(f"{orders:>6} orders: snapshot {snapshot_s * 1000:7.1f} ms, audit {audit_s * 1000:7.1f} ms, "
          f"{len(findings)} findings")


if __name__ == "__main__":
    for size in [int(arg) for arg in sys.argv[1:]] or [200, 2000]:
        measure(size)
