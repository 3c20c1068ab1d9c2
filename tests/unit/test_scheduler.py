"""The timer thread: timeouts and backoff fire in due order, answered ones never."""

from __future__ import annotations

import threading

from actors.embedded.scheduler import Scheduler, Timer

PATIENCE_S = 30.0  # turns a hang into a failure; nothing here is timed


def test_cancelled_timers_never_run_and_the_live_ones_behind_them_still_do() -> None:
    scheduler = Scheduler()
    ran: list[str] = []
    done, answered_all = threading.Event(), threading.Event()
    try:
        # Due first, it holds the timer thread until every answered timer is cancelled: they
        # are all overdue by then, however long cancelling took, and must still never run.
        scheduler.call_later(0, lambda: answered_all.wait(PATIENCE_S))
        scheduler.call_later(0.02, lambda: ran.append("first"))
        answered = [scheduler.call_later(0.01 + n / 1000, lambda: ran.append("answered")) for n in range(50)]
        for timer in answered:
            timer.cancel()
        answered_all.set()
        scheduler.call_later(0.05, lambda: (ran.append("last"), done.set()))
        assert done.wait(timeout=PATIENCE_S)
    finally:
        answered_all.set()
        scheduler.stop()
    assert ran == ["first", "last"]


def test_timers_taken_together_run_in_due_order_before_a_later_one_already_waited_for() -> None:
    """A burst's timers go in at once: one due before everything else wakes the thread, which
    was waiting for a timer due much later, and the cancelled one of them never runs."""
    scheduler = Scheduler()
    ran: list[str] = []
    done = threading.Event()
    try:
        scheduler.call_later(3600, lambda: ran.append("much later"))
        cancelled = Timer()
        cancelled.cancel()  # answered before its burst was durable
        scheduler.call_all_later([(0.04, lambda: (ran.append("second"), done.set()), None),
                                  (0.01, lambda: ran.append("cancelled"), cancelled),
                                  (0.02, lambda: ran.append("first"), Timer())])
        assert done.wait(timeout=PATIENCE_S)  # not the hour the thread was waiting for
    finally:
        scheduler.stop()
    assert ran == ["first", "second"]
