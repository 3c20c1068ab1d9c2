"""Many orders at once: space marks rows, R and C act on the marked ones or on everything the
filter matches (not only the rows listed), after a question with the count; the event line
follows, and the audit badge agrees with `ordersaga audit` afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Static

from app.dashboard.screens.confirm import ConfirmScreen
from tests.carrier import carrier_database
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    row,
    select,
    until,
)
from tests.functional.test_badge_audit import cli_audit
from tests.functional.test_dashboard_audit import badge_verdict_now

SIZE = (120, 35)


async def test_space_marks_and_C_acts_on_the_marked_then_R_on_every_match_of_the_filter(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = carrier_database(tmp_path, orders=130, failed=110)  # more failed than the list shows
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.board.history_loaded, "the history read")
        first, second = listed_ids(app)[:2]
        await select(pilot, first)
        await pilot.press("space", "space")  # the first row and the one below it
        assert (row(app, first)["id"], row(app, second)["id"]) == (f"●{first}", f"●{second}")
        assert screen.orders.marked == {first, second} and "2 orders marked: R retries" in event_line(app)

        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert app.screen.query_one("#dialog").border_title == "Cancel 2 orders?"
        await pilot.press("y")
        await until(pilot, lambda: "Cancelled 0 of 2 orders" in event_line(app), "the summary")
        assert "Refused 2: is failed; only an order on hold can be cancelled" in event_line(app)
        assert not screen.orders.marked and row(app, first)["id"] == first

        await pilot.press("slash", *"status:failed reason:~carrier", "enter")
        await until(pilot, lambda: len(listed_ids(app)) == 100, "the first 100 of 110 listed")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert app.screen.query_one("#dialog").border_title == "Retry 110 orders?"
        assert "110 orders matching “status:failed reason:~carrier”: o-1, o-2, o-3, o-4, o-5 and 105 more" in (
            str(app.screen.query_one(Static).visual))
        await pilot.press("y")
        await until(pilot, lambda: "Retried 110 of 110 orders." in event_line(app), "the summary")
        await until(pilot, lambda: screen.board.unsettled() == 0 and not listed_ids(app), "every retry settled")
        assert {status.value: count for status, count in screen.board.tally().items()} == {"completed": 130}
        await asyncio.to_thread(app.session.call, lambda engine: engine.wait_until_settled())
        assert await badge_verdict_now(pilot, app) == cli_audit(db) == ["130 orders audited, 0 findings"]
