"""How quickly the dashboard answers keys while many orders are in flight.

    .venv/bin/python bench/dashboard_keys.py [ORDERS]     (default 1000)

Runs the dashboard headless on a mixed world whose services answer slowly
enough that every order is in flight together, presses keys throughout, and
prints how long each key took to reach its action and what each coalesced
refresh of the screen cost.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.dashboard.app import make_dashboard  # noqa: E402
from app.dashboard.screens.main import MainScreen  # noqa: E402
from app.scenario import parse_scenario  # noqa: E402
from bench.engine import EngineSettings  # noqa: E402
from bench.mixed_scenario import mixed_world  # noqa: E402

LATENCY_MS = {"inventory": 400, "payment": 600, "shipping": 800}
PRESSES = 30


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    return (f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, "
            f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms")


async def measure(orders: int) -> None:
    refreshes: list[float] = []
    handled: list[float] = []
    original_refresh, original_sort = MainScreen._refresh, MainScreen.action_sort

    def timed_refresh(self: MainScreen) -> None:
        start = time.perf_counter()
        original_refresh(self)
        refreshes.append(time.perf_counter() - start)

    def noted_sort(self: MainScreen) -> None:
        handled.append(time.perf_counter())
        original_sort(self)

    MainScreen._refresh = timed_refresh  # type: ignore[method-assign]
    MainScreen.action_sort = noted_sort  # type: ignore[method-assign]
    scenario = parse_scenario(mixed_world(orders, latency_ms=LATENCY_MS), "bench")
    with tempfile.TemporaryDirectory() as folder:
        app = make_dashboard(Path(folder) / "bench.db", scenario, EngineSettings(answer_timeout_s=5))
        delays: list[float] = []
        in_flight_at_end = 0
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = next(s for s in app.screen_stack if isinstance(s, MainScreen))
                while len(screen.board.records) < orders:  # the world is on screen
                    await pilot.pause(0.01)
                for _ in range(PRESSES):
                    pressed = time.perf_counter()
                    count = len(handled)
                    app.post_message(_key("o"))
                    while len(handled) == count:
                        await asyncio.sleep(0.001)
                    delays.append(handled[-1] - pressed)
                    await pilot.pause(0.05)
                in_flight_at_end = screen.board.unsettled()
        finally:
            app.session.close()
    print(f"{orders} orders; {in_flight_at_end} still in flight after the last key press")
    print(summary("key press to action (sort all rows)", delays))
    print(summary("coalesced refresh of the screen", refreshes))


def _key(key: str):  # type: ignore[no-untyped-def]
    from textual import events
    return events.Key(key, key)


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
