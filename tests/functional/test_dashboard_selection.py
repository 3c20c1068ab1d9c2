"""The selection is the truth: the order pane, the footer and every key act on exactly the
highlighted row's order, whatever the list does underneath (rows leaving a filter, archiving,
reordering)."""

from __future__ import annotations

from pathlib import Path

from app.dashboard.app import SagaDashboard
from app.dashboard.widgets.orders_table import OrdersTable
from tests.carrier import carrier_database
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    select,
    strip_text,
    until,
)

SIZE = (120, 35)


def highlighted(app: SagaDashboard) -> str:
    """The order of the row the cursor is on, as the screen draws it."""
    table = main_screen(app).query_one(OrdersTable)
    return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)


def pane_shows(app: SagaDashboard, order_id: str) -> bool:
    text = strip_text(app)
    return text.startswith(f"Order {order_id} ·") and "loading…" not in text


async def test_when_the_retried_row_leaves_the_filter_the_pane_and_r_follow_the_row_now_highlighted(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = carrier_database(tmp_path, orders=130, failed=40)  # more orders than the list shows
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.board.history_loaded, "the history read")
        await pilot.press("slash", *"failed", "enter")
        await until(pilot, lambda: len(listed_ids(app)) == 40, "the 40 failed orders listed")
        await select(pilot, "o-2")
        await pilot.press("r")
        await until(pilot, lambda: "o-2" not in listed_ids(app), "o-2 leaving the failed orders")
        now = highlighted(app)
        assert now != "o-2"
        await until(pilot, lambda: pane_shows(app, now), f"the pane on {now}, the row highlighted")
        assert "attempt 1" in strip_text(app)

        await pilot.press("r")  # acts on the highlighted order, not on o-2, and is not "still loading"
        await until(pilot, lambda: now not in listed_ids(app), f"{now} retried and leaving the list")
        assert "still loading" not in event_line(app)
        assert screen.board.summaries[now].attempts == 2
        assert screen.board.summaries["o-2"].attempts == 2
        after = highlighted(app)
        await until(pilot, lambda: pane_shows(app, after), f"the pane on {after}")
