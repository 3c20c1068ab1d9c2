"""The dashboard driven as a person would: keys in, what the screen shows out.

Each test runs the real engine on a database in a temporary folder, with
short retry timings; waits are bounded by what the screen shows, not by time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from actors import Engine
from actors.saga.settings import EngineSettings
from app.dashboard.app import SagaDashboard
from app.dashboard.screens.amount_prompt import AmountPrompt
from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.help import HelpScreen
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.timeline import Timeline
from app.scenario import load_scenario, parse_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    handled,
    listed_ids,
    main_screen,
    nothing_pending,
    row,
    select,
    strip_text,
    timeline_rows,
    until,
)

SIZE = (100, 30)


def balance_of(engine: Engine, customer: str) -> int:
    return int(engine.snapshot().payment["accounts"][customer]["balance_cents"])


async def test_insufficient_funds_then_top_up_and_retry_completes_with_one_confirmation(
        dashboard: DashboardFactory) -> None:
    app = dashboard()  # an empty database: the scenario is loaded from the keyboard
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        app.screen.query_one("#path", Input).focus()
        await pilot.press(*"insufficient_funds", "enter")
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        assert "Insufficient funds: balance $10.00, order total $49.99" in strip_text(app)
        assert "t top up or e edit, then r retry" in strip_text(app)
        await until(pilot, lambda: "resolved yet: balance $10.00, order $49.99" in strip_text(app),
                    "the balance read for the order pane")

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, AmountPrompt), "the top-up prompt")
        amount = app.screen.query_one(Input)
        assert amount.value == "39.99"  # what the balance ($10.00) lacks of the total ($49.99)
        amount.value = "ten dollars"
        submitted = handled(app.screen, Input.Submitted)
        await pilot.press("enter")
        await until(pilot, submitted, "the prompt's answer to Enter")
        assert isinstance(app.screen, AmountPrompt), "a bad amount must not close the prompt"
        assert str(app.screen.query_one("#problem-0").visual) == ("The amount must be in dollars, like 25.00 "
                                                                 "(got 'ten dollars').")
        assert await asyncio.to_thread(app.session.call, lambda e: balance_of(e, "bob")) == 1000

        amount.value = "100.00"
        await pilot.press("enter")
        await until(pilot, lambda: "Topped up bob by $100.00; balance $110.00." in event_line(app),
                    "the top-up acknowledged")
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed")
        assert row(app, "o-1")["attempts"] == "2"

        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the notifications")
        table = app.screen.query_one("#dialog")
        await until(pilot, lambda: table.row_count > 0, "the notifications listed")
        kinds = [table.get_row_at(index)[1].plain for index in range(table.row_count)]
        assert kinds == ["✗ failure", "✓ confirmation"]


async def test_out_of_stock_then_restock_and_retry_completes(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("out_of_stock"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: len(listed_ids(app)) == 2 and row(app, "o-2")["status"] == "✗ failed",
                    "o-2 failed")
        await select(pilot, "o-2")
        assert "s restock or e edit, then r retry" in strip_text(app)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AmountPrompt), "the restock prompt")
        units = app.screen.query_one(Input)
        assert units.value == "3"  # what the order wants
        units.value = "0"
        submitted = handled(app.screen, Input.Submitted)
        await pilot.press("enter")
        await until(pilot, submitted, "the prompt's answer to Enter")
        assert isinstance(app.screen, AmountPrompt), "a bad quantity must not close the prompt"
        assert str(app.screen.query_one("#problem-0").visual) == "The quantity must be from 1 to 100,000 (got 0)."
        units.value = "5"
        await pilot.press("enter")
        await until(pilot, lambda: "Restocked MONITOR by 5; 7 available." in event_line(app),
                    "the restock acknowledged")
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-2")["status"] == "✓ completed", "o-2 completed")


async def test_cancelling_an_order_on_hold_compensates_its_kept_steps(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("insufficient_funds_hold"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: len(listed_ids(app)) == 2 and row(app, "o-2")["status"] == "‖ on hold",
                    "o-2 on hold")
        await select(pilot, "o-2")
        assert "inventory ✓ succeeded → payment ✗ failed" in strip_text(app)
        assert "or c cancel" in strip_text(app)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert "o-2 is on hold with its inventory step done. Cancelling undoes it (release items)" in str(
            app.screen.query_one("Static").visual)
        assert "the order ends cancelled" in str(app.screen.query_one("Static").visual)
        await pilot.press("y")
        await until(pilot, lambda: row(app, "o-2")["status"] == "⊘ cancelled", "o-2 cancelled")
        assert "inventory ↶ compensated → payment ✗ failed" in strip_text(app)
        assert ("Order o-2 was cancelled by an operator while on hold at payment (Insufficient funds: "
                "balance $10.00, order total $99.98)") in strip_text(app)
        assert timeline_rows(app)[-1][1:4] == ("inventory", "compensate", "↶ compensated")
        tally = main_screen(app).query_one("#tally", Static)
        await until(pilot, lambda: "1 cancelled" in str(tally.visual), "the cancelled order counted")


def stalled(*steps: str) -> dict[str, object]:
    """One order whose commands to these steps are lost once: it waits there
    until the coordinator asks again, which a restart (key k) makes it do."""
    return {"name": "stalled", "stock": {"KB": 5}, "accounts": {"bob": 100000},
            "orders": [{"id": "o-1", "customer": "bob", "ship_to": "1 Main St",
                        "items": [{"sku": "KB", "quantity": 1, "price_cents": 4999}]}],
            "faults": [{"service": step, "kind": "timeout"} for step in steps]}


# Nothing is asked again by timer within a test: only a restart moves a stalled order.
PATIENT = EngineSettings(answer_timeout_s=600)


async def crash(pilot: Pilot[None]) -> None:
    """The crash key, and yes to its question."""
    await pilot.press("X")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the crash confirmation")
    await pilot.press("y")


async def test_a_running_order_shows_its_current_step_change(dashboard: DashboardFactory) -> None:
    app = dashboard(parse_scenario(stalled("inventory", "payment"), "test"), settings=PATIENT)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "o-1 listed")
        assert row(app, "o-1")["status"] == "◐ running"
        assert row(app, "o-1")["step"] == "inventory"
        assert "inventory ▶ running → payment · pending" in strip_text(app)

        await crash(pilot)  # the coordinator restarts and asks inventory again
        await until(pilot, lambda: row(app, "o-1")["step"] == "payment", "o-1 at payment")
        assert "inventory ✓ succeeded → payment ▶ running" in strip_text(app)

        await crash(pilot)
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed")
        resumed = [r for r in timeline_rows(app) if r[4] == "asked again after a restart"]
        assert [(r[1], r[3]) for r in resumed] == [("inventory", "↻ retrying"), ("payment", "↻ retrying")]


async def test_a_failed_orders_timeline_shows_compensations_in_reverse(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("shipping_failure"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: len(listed_ids(app)) == 2 and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        await select(pilot, "o-1")
        # Without the tries asked again: on a busy machine a reply may outlast the short timeout.
        rows = [(step, action, outcome, reason) for _, step, action, outcome, reason in timeline_rows(app)
                if outcome != "↻ retrying"]
        assert rows[-5:] == [
            ("shipping", "execute", "✗ failed", "Carrier unavailable"),
            ("payment", "compensate", "▶ started", ""),
            ("payment", "compensate", "↶ compensated", ""),
            ("inventory", "compensate", "▶ started", ""),
            ("inventory", "compensate", "↶ compensated", ""),
        ]
        assert "inventory ↶ compensated → payment ↶ compensated → shipping ✗ failed" in strip_text(app)


async def test_a_refused_retry_says_why_and_changes_nothing(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("card_declined"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed")
        await pilot.press("r")
        await until(pilot, lambda: "cannot be retried" in event_line(app), "the refusal")
        assert "Card declined by issuer" in event_line(app)
        assert row(app, "o-1")["attempts"] == "1"


async def test_a_bad_scenario_file_shows_its_problems_and_changes_nothing(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[stock]\nKB = -1\n')
    app = dashboard(load_scenario("happy_path"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: len(listed_ids(app)) > 0, "the orders")
        before = listed_ids(app)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        app.screen.query_one("#path", Input).value = str(bad)
        app.screen.query_one("#path", Input).focus()
        submitted = handled(app.screen, Input.Submitted)
        await pilot.press("enter")
        await until(pilot, submitted, "the picker's answer to Enter")
        assert isinstance(app.screen, ScenarioPicker), "a bad file must not close the picker"
        assert "stock.KB: must be at least 0 (got -1)" in str(
            app.screen.query_one("#problems").visual)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app), "the picker closed")
        await nothing_pending(pilot)
        assert listed_ids(app) == before
        scenario = await asyncio.to_thread(app.session.call, lambda e: e.scenario)
        assert scenario is not None and scenario.name == "Happy path"


async def test_loading_over_orders_in_flight_asks_first(dashboard: DashboardFactory) -> None:
    app = dashboard(parse_scenario(stalled("inventory"), "test"), settings=PATIENT)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "o-1 listed")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        app.screen.query_one("#path", Input).value = "happy_path"
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert "1 order is still in flight" in str(app.screen.query_one("Static").visual)
        await pilot.press("n")
        await until(pilot, lambda: app.screen is main_screen(app), "the question closed")
        await nothing_pending(pilot)
        assert listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "◐ running"
        assert await asyncio.to_thread(app.session.call, lambda e: e.scenario.name) == "stalled"

        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        app.screen.query_one("#path", Input).value = "happy_path"
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        happy = [order.id for order in load_scenario("happy_path").orders]
        await until(pilot, lambda: listed_ids(app) == happy, "the happy path's orders")


def shows(app: SagaDashboard, order_id: str) -> bool:
    """The cursor is on order_id, and the order's steps and timeline beside it are order_id's."""
    main = main_screen(app)
    return (main.query_one(OrdersTable).selected_id == order_id
            and strip_text(app).startswith(f"Order {order_id} ·")
            and str(main.query_one(Timeline).border_title).startswith(f"Timeline of {order_id} ("))


async def test_with_two_hundred_orders_in_flight_each_key_moves_the_cursor_and_the_order_shown(
        dashboard: DashboardFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.dashboard.board.LIST_CAP", 200)  # every order listed, in id order
    # The carrier takes ten minutes to answer: every order that gets that far
    # stays in flight for the whole test, however slow the machine.
    mixed = load_scenario("mixed_200")
    slow_carrier = mixed.model_copy(update={"latency_ms": {**mixed.latency_ms, "shipping": 600_000}})
    app = dashboard(slow_carrier)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main = main_screen(app)
        await until(pilot, lambda: len(listed_ids(app)) == 200, "all 200 orders")
        assert main.board.unsettled() > 0
        ids = listed_ids(app)
        for key, place in [("g", 0), ("j", 1), ("j", 2), ("down", 3), ("k", 2), ("G", 199), ("g", 0)]:
            await pilot.press(key)
            order_id = ids[place]
            await until(pilot, lambda order_id=order_id: shows(app, order_id),
                        f"{order_id} selected and shown after {key}")

        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, "the help closed")

        await pilot.press("slash", *"shipping", "enter")
        await until(pilot, lambda: len(listed_ids(app)) > 0
                    and all(row(app, i)["step"] == "shipping" for i in listed_ids(app)),
                    "only the orders at shipping")
        in_flight = await asyncio.to_thread(
            app.session.call, lambda e: sum(1 for r in e.records() if not r.status.settled))
        assert in_flight > 0, "every key above was pressed while orders were in flight"
