"""`e` then `r` in the dashboard: a form that checks a correction as it is typed and says
what the retry will do, the correction saved on Enter, and the retry running on it."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Static

from actors import login_name
from app.dashboard.app import SagaDashboard
from app.dashboard.screens.edit_prompt import EditPrompt
from app.report import build_report
from app.scenario import load_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    row,
    select,
    timeline_rows,
    until,
)
from tests.functional.test_dashboard_keys import settled
from tests.invariants import assert_invariants

HELD = load_scenario("quantity_too_large").model_copy(update={"then": ()})


def verdict(app: SagaDashboard) -> str:
    return str(app.screen.query_one("#verdict", Static).visual)


async def test_e_corrects_a_held_order_as_typed_and_r_retries_it_on_the_new_version(
        dashboard: DashboardFactory) -> None:
    app = dashboard(HELD)
    async with app.run_test(size=(120, 36)) as pilot:
        await settled(pilot, app, 2)
        await select(pilot, "o-2")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditPrompt), "the correction form")
        assert verdict(app).startswith("Say what to correct in order o-2")
        app.screen.query_one("#quantity-0", Input).focus()
        await pilot.press("0")
        await until(pilot, lambda: "must keep at least one item" in verdict(app), "the refusal of 0")
        await pilot.press("backspace", "1")
        await until(pilot, lambda: verdict(app).startswith("Saving makes version 2"), "the preview")
        assert verdict(app) == ("Saving makes version 2: KEYBOARD quantity 3 -> 1.\nRetrying it releases "
                                '3 KEYBOARD, then reserves 1 KEYBOARD, charges $49.99 and ships to '
                                '"9 Cedar Ct, Capital City".')
        await pilot.press("enter")
        await until(pilot, lambda: "Order o-2 is now version 2" in event_line(app), "the saved correction")
        assert row(app, "o-2")["status"] == "‖ on hold"

        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-2")["status"] == "✓ completed", "o-2 completed")
        await until(pilot, lambda: any(event[1] == "order" for event in timeline_rows(app)), "the edit")
        edit = next(event for event in timeline_rows(app) if event[1] == "order")
        assert edit[:3] == ("1", "order", "edit")
        assert edit[-1] == f"by {login_name()}: version 2: KEYBOARD quantity 3 -> 1"
        report = await asyncio.to_thread(app.session.call, lambda e: build_report(e.snapshot()))
        assert_invariants(report)

        await pilot.press("e")  # o-2 is completed now: refused, no form
        await until(pilot, lambda: "only a failed or held order can be corrected" in event_line(app),
                    "the refusal")
        assert not isinstance(app.screen, EditPrompt)
