"""Retry looks before it leaps: the order pane says whether a failure's cause looks
resolved, and `r` asks before an attempt that would fail for the same shortfall again."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.widgets import Input

from app.dashboard.app import SagaDashboard
from app.dashboard.screens.amount_prompt import AmountPrompt
from app.dashboard.screens.confirm import ConfirmScreen
from app.scenario import load_scenario, parse_scenario
from tests.conftest import FAST
from tests.dashboard_pilot import (
    DashboardFactory,
    main_screen,
    nothing_pending,
    row,
    select,
    strip_text,
    until,
)
from tests.functional.test_dashboard_keys import footer_keys, settled

SIZE = (100, 30)


def notices(app: SagaDashboard, order_id: str) -> int:
    return len(main_screen(app).board.records[order_id].notifications)


async def test_r_asks_before_a_retry_the_balance_cannot_pay_for_and_the_pane_follows_top_ups(
        dashboard: DashboardFactory) -> None:
    insufficient_funds = load_scenario("insufficient_funds").model_copy(update={"then": ()})
    app = dashboard(insufficient_funds)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 1)
        await until(pilot, lambda: "Not resolved yet: balance $10.00, order $49.99." in strip_text(app),
                    "the cause not resolved")
        assert "t top up or e edit, then r retry" in strip_text(app)

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert app.screen.query_one("#dialog").border_title == "Retry anyway?"
        assert str(app.screen.query_one("Static").visual) == (
            "o-1's payment failure is not resolved yet: balance $10.00, order $49.99, so a retry now "
            "would likely fail again and send bob another notice.")
        await pilot.press("n")
        await nothing_pending(pilot)
        assert (row(app, "o-1")["attempts"], notices(app, "o-1")) == ("1", 1), "no means no attempt"

        await pilot.press("t")  # not enough: the pane says so with the new balance
        await until(pilot, lambda: isinstance(app.screen, AmountPrompt), "the top-up prompt")
        app.screen.query_one(Input).value = "25.00"
        await pilot.press("enter")
        await until(pilot, lambda: "Not resolved yet: balance $35.00, order $49.99." in strip_text(app),
                    "the pane after a top-up that falls short")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question again")
        await pilot.press("y")  # anyway: it runs and fails again
        await until(pilot, lambda: row(app, "o-1")["attempts"] == "2" and row(app, "o-1")["status"] == "✗ failed",
                    "attempt 2 failed")
        assert notices(app, "o-1") == 2

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, AmountPrompt), "the top-up prompt")
        app.screen.query_one(Input).value = "100.00"
        await pilot.press("enter")
        await until(pilot, lambda: "Cause resolved: balance $135.00 covers $49.99. Keys: e edit, then r retry."
                    in strip_text(app), "the cause resolved")
        assert footer_keys(app)[0] == "r" and "t" not in footer_keys(app)
        await pilot.press("r")  # no question now
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed")
        assert not isinstance(app.screen, ConfirmScreen)


# o-1 holds both keyboards while bob cannot pay; o-2, for one, is compensated (its own policy).
LAST_KEYBOARDS = {
    "name": "last keyboards", "recoverable_failures": "hold",
    "stock": {"KB": 2}, "accounts": {"bob": 100, "amy": 100000},
    "orders": [{"id": "o-1", "customer": "bob", "ship_to": "x",
                "items": [{"sku": "KB", "quantity": 2, "price_cents": 1000}]},
               {"id": "o-2", "customer": "amy", "ship_to": "y", "recoverable_failures": "compensate",
                "items": [{"sku": "KB", "quantity": 1, "price_cents": 1000}]}],
}


async def test_the_pane_follows_stock_another_order_gives_back(dashboard: DashboardFactory) -> None:
    one_at_a_time = dataclasses.replace(FAST, max_in_flight=1)  # o-1 reserves before o-2 asks
    app = dashboard(parse_scenario(LAST_KEYBOARDS, "test"), settings=one_at_a_time)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 2)
        assert (row(app, "o-1")["status"], row(app, "o-2")["status"]) == ("‖ on hold", "✗ failed")
        await select(pilot, "o-2")
        await until(pilot, lambda: "Not resolved yet: stock 0 KB, order 1." in strip_text(app),
                    "the stock short")
        assert "s restock or e edit, then r retry" in strip_text(app)

        await asyncio.to_thread(app.session.call, lambda engine: engine.cancel("o-1"))  # not from a key
        resolved = "Cause resolved: stock 2 KB covers 1. Keys: e edit, then r retry."
        await until(pilot, lambda: resolved in strip_text(app),
                    "the cause resolved by o-1's released keyboards")
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-2")["status"] == "✓ completed", "o-2 completed")
        assert row(app, "o-1")["status"] == "⊘ cancelled"
