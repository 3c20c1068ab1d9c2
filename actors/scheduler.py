"""One timer thread for every delayed message: timeouts, backoff, latency.

A `threading.Timer` per outstanding command would mean a thread per order in
flight; a heap served by one thread costs a push per timer.
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


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="ordersaga-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> None:
        """Run callback on the timer thread after delay_s; it must only send messages."""
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), callback))
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
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
            try:
                callback()
            except pykka.ActorDeadError:
                pass  # the receiver stopped (or was killed): the message is lost, as it would be
            except Exception:
                log.exception("a scheduled callback failed")
