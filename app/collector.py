"""The cyclic garbage collector's tuning: a choice for the whole process, so only an entry
point makes it (the `ordersaga` command, the dashboard's launch, a worker's loop, the
benchmarks' harness), never the engine or a reader, which a host may embed beside its own objects.

Nothing a command loads is let go before it exits (the modules, a database read whole), and
the garbage in cycles an engine makes is about one object per order: so a command runs without
the collector, which would only scan what it loaded again and again. A process that keeps
running (the dashboard, a worker) collects, but its youngest generation less often: every
transition allocates a few dozen objects that reference counting frees. What each choice buys
today: docs/performance.md.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_THRESHOLD = 100_000


@contextmanager
def importing() -> Iterator[None]:
    """Import a command's modules with the collector off, which it stays for the command."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()


def keep_running() -> None:
    """Tune a process that keeps running: freeze what is loaded so far (it lives as long as the
    process), then collect, the youngest generation less often (never more often than a host chose)."""
    gc.freeze()
    first, second, third = gc.get_threshold()
    if first and first < FIRST_THRESHOLD:
        gc.set_threshold(FIRST_THRESHOLD, second, third)
    gc.enable()
