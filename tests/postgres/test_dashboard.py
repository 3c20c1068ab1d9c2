"""The dashboard on a PostgreSQL database: it shows what the workers do as they do it, and
its keys act on the shared database (a top-up and a retry here)."""

from __future__ import annotations

import pytest

from app.scenario import load_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    row,
    until,
)
from tests.postgres_server import Worker

pytestmark = pytest.mark.postgres


async def test_the_dashboard_follows_the_workers_and_its_keys_reach_them(
        dashboard: DashboardFactory, postgres_url: str, workers: dict[str, Worker]) -> None:
    app = dashboard(load_scenario("insufficient_funds"), db=postgres_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed on a worker")
        await pilot.press("t")
        await pilot.press(*"100", "enter")
        await until(pilot, lambda: "Topped up bob by $100.00" in event_line(app), "the top-up acknowledged")
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed on a worker")
        await pilot.press("X")
        await pilot.press("y")
        await until(pilot, lambda: "the workers run the sagas" in event_line(app), "why X does not apply")
