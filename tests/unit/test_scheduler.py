"""The timer thread: timeouts and backoff fire in due order, answered ones never."""

from __future__ import annotations

import threading

from actors.scheduler import Scheduler


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
