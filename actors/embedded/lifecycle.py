"""Stopping what an interrupted engine left running, so the process can exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pykka


@contextmanager
def leftover_threads_stopped() -> Iterator[None]:
    """Stop, on the way out, the actors started inside the block, newest first (the storage
    actor last, so it flushes). An engine interrupted while it opened or closed leaves some,
    whose threads would keep the process from exiting."""
    running = set(pykka.ActorRegistry.get_all())
    try:
        yield
    finally:
        for ref in reversed(pykka.ActorRegistry.get_all()):
            if ref not in running:
                ref.stop()
