"""What the dashboard says happened: one line in the layout, never a toast over a
pane; and a database reopened as the operator left it, with no history announced."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from actors import SagaStatus
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.widgets.event_line import ANSWER_SECONDS, EventLine
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import Timeline
from app.scenario import load_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    row,
    until,
)

DEMO = load_scenario("demo").model_copy(update={"latency_ms": {}})  # without its pauses for a human eye


async def test_news_is_one_line_by_kind_over_no_pane_and_n_lists_every_notification(
        dashboard: DashboardFactory) -> None:
    app = dashboard(DEMO)
    async with app.run_test(size=(80, 24)) as pilot:
        main = main_screen(app)
        await until(pilot, lambda: len(main.board.summaries) == 8 and main.board.unsettled() == 0,
                    "the demo settled")
        await until(pilot, lambda: "4 orders completed" in event_line(app), "every notice summed up")
        line = event_line(app)
        assert line.startswith("✗ 3 orders failed: ") and line.endswith(" — n lists them")
        assert {"o-4", "o-6", "o-7"} == set(line.split(": ")[1].split(" · ")[0].split(", "))
        assert " · ‖ 1 order on hold: o-2 · " in line
        assert not app.screen.query("Toast"), "a toast covers whatever is under it"
        strip = main.query_one(EventLine).region
        assert strip.height == 1
        for pane in (OrdersTable, StepStrip, Timeline):
            assert not strip.overlaps(main.query_one(pane).region), f"the event line covers {pane.__name__}"

        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the notifications")
        listed = app.screen.query_one("#dialog")
        await until(pilot, lambda: listed.border_title == "Notifications (8)", "the notifications read")
        assert listed.row_count == 8
        await pilot.press("escape")
        await until(pilot, lambda: event_line(app) == "No new notifications · n lists all 8",
                    "the news read")


async def test_two_hundred_orders_make_one_line_of_news(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("mixed_200"))
    async with app.run_test(size=(80, 24)) as pilot:
        main = main_screen(app)
        await until(pilot, lambda: len(main.board.summaries) == 200 and main.board.unsettled() == 0,
                    "all 200 orders settled")
        completed = main.board.tally()[SagaStatus.COMPLETED]
        await until(pilot, lambda: f"✓ {completed} orders completed" in event_line(app),
                    "every completion counted")
        assert main.query_one(EventLine).region.height == 1
        assert not app.screen.query("Toast")


async def test_an_answer_takes_the_event_line_for_a_while_then_the_news_is_back(
        dashboard: DashboardFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ANSWER_SECONDS, "warning", 0.5)
    app = dashboard(load_scenario("card_declined"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        await until(pilot, lambda: "1 order failed: o-1" in event_line(app), "the failure in the news")
        await pilot.press("r")
        await until(pilot, lambda: event_line(app).startswith("Refused: Order o-1 cannot be retried"),
                    "the refusal")
        assert "Card declined by issuer" in event_line(app)
        await until(pilot, lambda: "1 order failed: o-1" in event_line(app), "the news back")


async def test_reopening_a_database_keeps_its_orders_and_announces_no_history(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = tmp_path / "work.db"
    first = dashboard(load_scenario("insufficient_funds"), db=db)
    async with first.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: listed_ids(first) == ["o-1"] and row(first, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        await asyncio.to_thread(first.session.call, lambda e: e.top_up("bob", 10000))
        await pilot.press("r")
        await until(pilot, lambda: row(first, "o-1")["status"] == "✓ completed", "o-1 completed")
    first.session.close()

    again = dashboard(db=db)  # what `make run` does once the database exists
    async with again.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: listed_ids(again) == ["o-1"], "o-1 listed")
        assert row(again, "o-1")["status"] == "✓ completed" and row(again, "o-1")["attempts"] == "2"
        # The archived order is known by its summary: its notifications are read when n asks.
        await until(pilot, lambda: event_line(again) == "No new notifications · n lists them",
                    "the history not announced")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(again.screen, NotificationsScreen), "the notifications")
        listed = again.screen.query_one("#dialog")
        await until(pilot, lambda: listed.border_title == "Notifications (2)", "both notifications read")
