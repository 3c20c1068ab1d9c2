"""Reading archived orders from the dashboard: the selected order's record and the
notifications arrive on workers, whatever else is reading, and a read that fails says so."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from actors import DatabaseError, Engine, EngineRestarting, OrderRecord, Supplies, WorldStream
from app.dashboard.app import SagaDashboard
from app.dashboard.screens.main import MainScreen
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.widgets.orders_table import OrdersTable
from tests.dashboard_pilot import (
    PATIENCE_S,
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    nothing_pending,
    select,
    strip_text,
    timeline_rows,
    until,
)
from tests.functional.test_dashboard_history import settled_demo

SIZE = (110, 32)


def history_shown(app: SagaDashboard) -> bool:
    return "loading" not in str(main_screen(app).query_one(OrdersTable).border_title)


@pytest.fixture
def held() -> Iterator[threading.Event]:
    """Set to let a held-up engine call go on (it is set afterwards whatever happens)."""
    event = threading.Event()
    yield event
    event.set()


async def test_closing_the_notifications_before_they_are_read_keeps_the_dashboard_up(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        held: threading.Event) -> None:
    app = dashboard(db=settled_demo(tmp_path / "demo.db"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await select(pilot, "o-2")  # live: the order pane reads nothing more
        find = Engine.find

        def slow_find(engine: Engine, order_id: str) -> OrderRecord | None:
            held.wait(PATIENCE_S)
            return find(engine, order_id)

        monkeypatch.setattr(Engine, "find", slow_find)
        await pilot.press("n", "escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the notifications closed")
        held.set()
        await nothing_pending(pilot)
        assert app.is_running and isinstance(app.screen, MainScreen)

        await pilot.press("n")  # and they still open, and list
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the notifications")
        table = app.screen.query_one("#dialog", DataTable)
        await until(pilot, lambda: table.row_count > 0, "the notifications listed")
        assert "loading" not in str(table.border_title)


async def test_an_archived_order_shows_while_the_audit_badge_is_still_reading(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        held: threading.Event) -> None:
    db = settled_demo(tmp_path / "demo.db")
    stream = Engine.stream

    def slow_stream(engine: Engine, archived: list[str] | None = None) -> WorldStream:
        held.wait(PATIENCE_S)
        return stream(engine, archived)

    monkeypatch.setattr(Engine, "stream", slow_stream)
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await select(pilot, "o-4")  # failed, so archived: read when selected
        assert "auditing" in str(main_screen(app).query_one("AuditBadge").render())
        assert any(outcome == "✗ failed" for _, _, _, outcome, _ in timeline_rows(app))
        held.set()
        await until(pilot, lambda: "auditing" not in str(main_screen(app).query_one("AuditBadge").render()),
                    "the audit's verdict")


async def test_a_damaged_archived_order_is_said_in_the_order_pane_and_the_next_one_reads(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = settled_demo(tmp_path / "demo.db")
    find = Engine.find

    def damaged_o4(engine: Engine, order_id: str) -> OrderRecord | None:
        if order_id == "o-4":
            raise DatabaseError("line 4 of demo.db.archive is not a record")
        return find(engine, order_id)

    monkeypatch.setattr(Engine, "find", damaged_o4)
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await select(pilot, "o-4")  # the engine's answer comes from a worker, after the selection
        await until(pilot, lambda: "not read" in strip_text(app), "the order said unreadable")
        assert "o-4 could not be read: line 4 of demo.db.archive is not a record" in strip_text(app)
        assert "o-4 could not be read" in event_line(app)

        await select(pilot, "o-6")
        assert any(outcome == "✗ failed" for _, _, _, outcome, _ in timeline_rows(app))
        assert app.is_running


async def test_an_order_read_while_the_coordinator_restarts_is_read_again(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = settled_demo(tmp_path / "demo.db")
    find = Engine.find
    refused: list[str] = []

    def restarting_once(engine: Engine, order_id: str) -> OrderRecord | None:
        if order_id == "o-4" and not refused:
            refused.append(order_id)
            raise EngineRestarting()
        return find(engine, order_id)

    monkeypatch.setattr(Engine, "find", restarting_once)
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await until(pilot, lambda: "o-4" in listed_ids(app), "o-4 listed")
        table = main_screen(app).query_one(OrdersTable)
        table.move_cursor(row=table.get_row_index("o-4"))
        await until(pilot, lambda: "restarting" in strip_text(app), "the restart said")
        await until(pilot, lambda: bool(timeline_rows(app)), "o-4's timeline, read again")
        assert strip_text(app).startswith("Order o-4 ·") and refused == ["o-4"]


async def test_an_order_gone_from_the_database_is_said_not_left_loading(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = settled_demo(tmp_path / "demo.db")
    find = Engine.find
    monkeypatch.setattr(Engine, "find", lambda engine, order_id: None if order_id == "o-4"
                        else find(engine, order_id))
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await select(pilot, "o-4")  # the engine's answer comes from a worker, after the selection
        await until(pilot, lambda: "o-4 is not in the database any more." in strip_text(app),
                    "the order said gone")


async def test_f_reaches_every_failed_or_held_order_listed_or_not(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.dashboard.board.LIST_CAP", 1)
    app = dashboard(db=settled_demo(tmp_path / "demo.db"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        assert listed_ids(app) == ["o-2"]  # on hold: the one listed
        reached = []
        for _ in range(4):
            await pilot.press("f")
            table = main_screen(app).query_one(OrdersTable)
            reached.append(table.selected_id)
            assert table.selected_id in listed_ids(app)
        assert set(reached[:3]) == {"o-4", "o-6", "o-7"} and reached[3] == "o-2"  # then round to the top


async def test_stock_and_balances_read_late_leave_the_unreadable_order_said(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        held: threading.Event) -> None:
    """The held order listed first has its stock and balances read for its pane; that read
    answering after another order was found gone does not blank the pane."""
    db = settled_demo(tmp_path / "demo.db")
    find, supplies = Engine.find, Engine.supplies
    monkeypatch.setattr(Engine, "find", lambda engine, order_id: None if order_id == "o-4"
                        else find(engine, order_id))

    def slow_supplies(engine: Engine) -> Supplies:
        held.wait(PATIENCE_S)
        return supplies(engine)

    monkeypatch.setattr(Engine, "supplies", slow_supplies)
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: history_shown(app), "the history read")
        await select(pilot, "o-2")  # on hold for its balance: the pane reads the supplies
        await select(pilot, "o-4")
        await until(pilot, lambda: "o-4 is not in the database any more." in strip_text(app),
                    "the order said gone")
        held.set()
        await nothing_pending(pilot)
        assert strip_text(app).startswith("Order o-4 ·")
        assert "o-4 is not in the database any more." in strip_text(app)
