"""One timer thread for every delayed message: timeouts, backoff, latency.

A `threading.Timer` per outstanding command would mean a thread per order in
flight; a heap served by one thread costs a push per timer. The thread is
woken only when a new timer falls due before every other one, and a timer
that is no longer wanted (its command was answered) is cancelled rather
than delivered, so neither costs a message or a thread switch per command:
the thread drops every cancelled timer at the head of the heap at once, rather
than waking at the time each was due.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

import pykka

log = logging.getLogger(__name__)


class Timer:
    """A scheduled callback's handle. Cancelling only sets a flag the timer thread
    reads before running it: a cancel that races with the firing may lose, so
    the callback must still be harmless when late."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


# A callback to run after a delay in seconds, and the timer that may cancel it (or None).
Delayed = tuple[float, Callable[[], None], Timer | None]


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="ordersaga-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay_s: float, callback: Callable[[], None],
                   timer: Timer | None = None) -> Timer:
        """Run callback on the timer thread after delay_s; it must only send messages."""
        timer = timer if timer is not None else Timer()
        entry = (time.monotonic() + delay_s, next(self._order), timer, callback)
        with self._wake:
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:  # due before everything else: the thread must wait less
                self._wake.notify()
        return timer

    def call_all_later(self, delayed: list[Delayed]) -> None:
        """call_later for each, in one hold of the lock and at most one wake of the thread."""
        now = time.monotonic()
        with self._wake:
            first = self._heap[0] if self._heap else None
            for delay_s, callback, timer in delayed:
                heapq.heappush(self._heap, (now + delay_s, next(self._order), timer or Timer(), callback))
            if self._heap and self._heap[0] is not first:  # one is due before everything else
                self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)  # answered in time: dropped unread, not waited for
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, timer, callback = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                callback()
            except pykka.ActorDeadError:
                pass  # the receiver stopped (or was killed): the message is lost, as it would be
            except Exception:
                log.exception("a scheduled callback failed")
