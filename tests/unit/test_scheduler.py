"""The timer thread: timeouts and backoff fire in due order, answered ones never."""

from __future__ import annotations

import threading

from actors.embedded.scheduler import Scheduler, Timer


def test_cancelled_timers_never_run_and_the_live_ones_behind_them_still_do() -> None:
    scheduler = Scheduler()
    ran: list[str] = []
    done = threading.Event()
    try:
        scheduler.call_later(0.02, lambda: ran.append("first"))
        answered = [scheduler.call_later(0.01 + n / 1000, lambda: ran.append("answered")) for n in range(50)]
        for timer in answered:
            timer.cancel()
        scheduler.call_later(0.05, lambda: (ran.append("last"), done.set()))
        assert done.wait(timeout=10)
    finally:
        scheduler.stop()
    assert ran == ["first", "last"]


def test_timers_taken_together_run_in_due_order_before_a_later_one_already_waited_for() -> None:
    """A burst's timers go in at once: one due before everything else wakes the thread, which
    was waiting for a timer due much later, and the cancelled one of them never runs."""
    scheduler = Scheduler()
    ran: list[str] = []
    done = threading.Event()
    try:
        scheduler.call_later(30, lambda: ran.append("much later"))
        cancelled = Timer()
        cancelled.cancel()  # answered before its burst was durable
        scheduler.call_all_later([(0.04, lambda: (ran.append("second"), done.set()), None),
                                  (0.01, lambda: ran.append("cancelled"), cancelled),
                                  (0.02, lambda: ran.append("first"), Timer())])
        assert done.wait(timeout=10)  # not the 30 s the thread was waiting for
    finally:
        scheduler.stop()
    assert ran == ["first", "second"]
