"""How far a long command got, on one line of stderr: only where a person is watching (stderr
is a terminal), and only once the command has run a second, so a quick one prints nothing.

A command that counts (orders settled, audited, reported, acted on) says `doing N/M orders`;
one that cannot count (salvage copying a journal) says how long it has been at it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

AFTER_S = 1.0  # a command quicker than this shows no progress at all
_EVERY_S = 0.1  # the line is redrawn at most this often: a count changes per order


class ProgressLine:
    """`doing 1,234/5,000 orders`, redrawn in place; cleared by `done`."""

    def __init__(self, doing: str, unit: str = "orders", stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._live = self._stream.isatty()
        self._doing, self._unit = doing, unit
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int | None = None) -> None:
        """Say how far it got (total: None when unknown)."""
        if not self._live:
            return
        now = time.monotonic()
        if now - self._started < AFTER_S or (now - self._drawn_at < _EVERY_S and done != total):
            return
        count = f"{done:,}" if total is None else f"{done:,}/{total:,}"
        self._draw(f"{self._doing} {count} {self._unit}", now)

    def elapsed(self) -> None:
        """Say how long it has been at it, for work that cannot count."""
        now = time.monotonic()
        if self._live and now - self._started >= AFTER_S:
            self._draw(f"{self._doing}… {now - self._started:.0f} s", now)

    def _draw(self, text: str, now: float) -> None:
        with self._lock:
            self._drawn_at, self._shown = now, True
            self._stream.write(f"\r\033[K{text}")
            self._stream.flush()

    def done(self) -> None:
        """Clear the line, so what the command prints next starts on a clean one."""
        with self._lock:
            if self._shown:
                self._stream.write("\r\033[K")
                self._stream.flush()
                self._shown = False


@contextmanager
def ticking(doing: str) -> Iterator[ProgressLine]:
    """A line saying how long the block has run, redrawn every half second from another
    thread, for a call that reports no progress of its own."""
    line = ProgressLine(doing)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            line.elapsed()

    ticker = threading.Thread(target=tick, name="ordersaga-progress", daemon=True)
    ticker.start()
    try:
        yield line
    finally:
        stop.set()
        ticker.join()
        line.done()


@contextmanager
def counting(doing: str, unit: str = "orders") -> Iterator[ProgressLine]:
    """A line the block feeds with counts; cleared when it ends, however it ends."""
    line = ProgressLine(doing, unit)
    try:
        yield line
    finally:
        line.done()
