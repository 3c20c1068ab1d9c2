"""The cyclic garbage collector's tuning: a choice for the whole process, so only an entry
point makes it (the `ordersaga` command, the dashboard's launch, the benchmarks' harness),
never the engine or a reader, which a host may embed beside its own objects.

An open engine allocates fast (every transition makes a few dozen short-lived objects) and
keeps a lot (every live order's record and documents): with CPython's default thresholds the
collector ran hundreds of times a second over the same young objects. What is loaded before
the work starts (the modules) lives as long as the process, so it is frozen out of every later
collection. What each buys: docs/performance.md.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_THRESHOLD = 100_000


@contextmanager
def importing() -> Iterator[None]:
    """Import the modules a command needs without the collector's passes over them (they live
    as long as the process), then tune the process for the work."""
    gc.disable()
    try:
        yield
    finally:
        tune()
        gc.enable()


def tune() -> None:
    """Freeze what is loaded so far, and collect the youngest generation less often (never
    more often than a host chose)."""
    gc.freeze()
    first, second, third = gc.get_threshold()
    if first and first < FIRST_THRESHOLD:
        gc.set_threshold(FIRST_THRESHOLD, second, third)
