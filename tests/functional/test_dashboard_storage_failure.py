"""The dashboard when its database can no longer be written: it says so where it stays
in sight, keeps what it shows, and answers keys without crashing."""

from __future__ import annotations

import errno
from pathlib import Path

from textual.widgets import Input, Static

from app.dashboard.screens.amount_prompt import AmountPrompt
from app.dashboard.screens.notifications import NotificationsScreen
from app.scenario import load_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    nothing_pending,
    row,
    until,
)
from tests.failing_disk import failing

SIZE = (100, 30)


async def test_a_full_disk_shows_a_lasting_banner_and_keeps_the_orders_on_screen(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = tmp_path / "dashboard.db"
    app = dashboard(load_scenario("insufficient_funds"), db=db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        banner = main_screen(app).query_one("#storage-failure", Static)
        assert not banner.display

        with failing(db, "write", errno.ENOSPC):
            await pilot.press("t")
            await until(pilot, lambda: isinstance(app.screen, AmountPrompt), "the top-up prompt")
            app.screen.query_one(Input).value = "100.00"
            await pilot.press("enter")
            await until(pilot, lambda: banner.display, "the storage failure")
        assert str(banner.visual).startswith(
            f"⚠ Storage stopped: no space left on the device holding {db}. ")
        await until(pilot, lambda: event_line(app).startswith("Not done: no space left"),
                    "the top-up refused")

        await pilot.press("c")  # refused by the saga's rules: the line changes ...
        await until(pilot, lambda: event_line(app).startswith("Refused:"), "the cancel refused")
        await pilot.press("r")  # ... and the engine, still asked, answers with the failure
        await until(pilot, lambda: event_line(app).startswith("Not done: no space left"),
                    "the retry refused")
        await pilot.press("n")  # a dialog and back: the banner stays
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the notifications")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app), "the notifications closed")
        await nothing_pending(pilot)
        assert banner.display
        assert listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed"
