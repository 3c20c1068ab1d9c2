"""The dashboard on a database with a history: the live orders at once, the history behind
them, a list of what matters up to a cap, and a filter that finds any order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual import events

from actors import Engine, OrderSummary, create_database
from app.dashboard.widgets.orders_table import OrdersTable
from app.scenario import load_scenario
from tests.conftest import FAST
from tests.dashboard_pilot import (
    PATIENCE_S,
    DashboardFactory,
    listed_ids,
    main_screen,
    select,
    strip_text,
    timeline_rows,
    until,
)


def settled_demo(path: Path) -> Path:
    """The demo run to the end: o-2 on hold (live), o-4, o-6 and o-7 failed, four completed."""
    create_database(path, load_scenario("demo").model_copy(update={"latency_ms": {}}))
    with Engine.open(path, settings=FAST) as engine:
        engine.wait_until_settled(timeout_s=PATIENCE_S)
    return path


async def test_the_history_fills_in_behind_then_the_list_is_capped_and_the_filter_finds_any_order(
        dashboard: DashboardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = settled_demo(tmp_path / "demo.db")
    monkeypatch.setattr("app.dashboard.board.LIST_CAP", 4)
    history_may_come = threading.Event()
    summaries = Engine.summaries

    def slow_summaries(engine: Engine) -> list[OrderSummary]:
        history_may_come.wait(PATIENCE_S)
        return summaries(engine)

    monkeypatch.setattr(Engine, "summaries", slow_summaries)
    app = dashboard(db=db)
    async with app.run_test(size=(100, 30)) as pilot:
        table = main_screen(app).query_one(OrdersTable)
        await until(pilot, lambda: listed_ids(app) == ["o-2"], "the live order first")
        assert "loading history…" in str(table.border_title)

        history_may_come.set()
        await until(pilot, lambda: "loading" not in str(table.border_title), "the history read")
        assert str(table.border_title).startswith("Orders (4 of 8 shown, / finds any)")
        assert listed_ids(app) == ["o-2", "o-4", "o-6", "o-7"]  # on hold and failed: what matters

        await pilot.press("slash", *"o-1")
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "the completed o-1 found")
        assert str(table.border_title).startswith("Orders (8) · 1 match “o-1”")
        await select(pilot, "o-1")  # archived: read when selected
        assert strip_text(app).startswith("Order o-1 · ")
        assert [step for _, step, _, outcome, _ in timeline_rows(app) if outcome == "✓ succeeded"] == [
            "inventory", "payment", "shipping"]


async def test_a_filter_typed_in_one_burst_after_the_slash_is_all_filter_text(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    """Keys that reach the dashboard together (a fast typist, a paste) are handed to the orders
    list before the filter takes the focus; `o` must not sort and every character must count."""
    app = dashboard(db=settled_demo(tmp_path / "demo.db"))
    async with app.run_test(size=(100, 30)) as pilot:
        table = main_screen(app).query_one(OrdersTable)
        await until(pilot, lambda: "loading" not in str(table.border_title), "the history read")
        for key, character in [("slash", "/"), ("o", "o"), ("minus", "-"), ("1", "1")]:
            burst = events.Key(key, character)  # sent together, as a terminal delivers them
            burst.set_sender(app)
            app._driver.send_message(burst)  # type: ignore[union-attr]
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "o-1 found by its whole id")
        assert str(table.border_title).startswith("Orders (8) · 1 match “o-1” · by id ↑")
