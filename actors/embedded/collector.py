"""The cyclic garbage collector, tuned for an engine that allocates fast and keeps a lot.

Every transition allocates a few dozen small objects (the new immutable record,
its timeline event, the command, closures) that reference counting frees, and an
open database keeps every order's record and every participant's documents
alive. With CPython's default thresholds the collector ran hundreds of times a
second, re-scanning the young objects each time: about 40% of the CPU of a
3,000-order run. Loading a database allocates millions of objects at once, and
each collection on the way scans more of them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_THRESHOLD = 100_000


def collect_less_often() -> None:
    """Raise the youngest generation's threshold (never lower what a host chose)."""
    first, second, third = gc.get_threshold()
    if first and first < FIRST_THRESHOLD:
        gc.set_threshold(FIRST_THRESHOLD, second, third)


@contextmanager
def loading() -> Iterator[None]:
    """Load a database without collecting on the way: what is loaded is kept anyway.

    Then freeze it (gc.freeze): the collector never scans it again, where each of the first
    collections after loading would (a 100 ms pause with 5,000 orders on a loaded machine,
    the worst order latencies). Frozen objects are still freed when no longer referenced.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
