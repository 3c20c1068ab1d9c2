"""NO_COLOR (https://no-color.org): every status stays readable, its symbol and word drawn in
the terminal's default foreground, as the screen is painted."""

from __future__ import annotations

import asyncio

import pytest
from rich.segment import Segment

from app.dashboard.display import SAGA_LOOKS
from app.dashboard.widgets.orders_table import OrdersTable
from app.scenario import load_scenario
from tests.dashboard_pilot import DashboardFactory, listed_ids, main_screen, row, until

# The demo ends with orders completed, failed and on hold (o-2, which is then cancelled).
DEMO = load_scenario("demo").model_copy(update={"latency_ms": {}})


def statuses(app: object) -> set[str]:
    return {row(app, order_id)["status"] for order_id in listed_ids(app)}  # type: ignore[arg-type]


def painted(table: OrdersTable, shown: str) -> list[tuple[Segment, Segment]]:
    """Each segment painting the text, with the one painting its row's order id."""
    found = []
    for y in range(table.size.height):
        line = list(table.render_line(y))
        order_id = next((segment for segment in line if segment.text.strip().startswith("o-")), None)
        found += [(segment, order_id) for segment in line if shown in segment.text and order_id is not None]
    return found


def assert_readable(table: OrdersTable, shown: str, no_color: bool) -> bool:
    """The status is painted as its symbol and word; under NO_COLOR in the foreground its row's
    id is painted in, not dim. Whether it is, in any case."""
    segments = painted(table, shown)
    assert segments, f"{shown!r} is painted"
    plain = all(segment.style and order_id.style and segment.style.color == order_id.style.color
                and not segment.style.dim for segment, order_id in segments)
    assert plain or not no_color, (shown, segments[0][0].style)
    return plain


@pytest.mark.parametrize("no_color", ["1", ""])
async def test_every_status_is_symbol_and_word_in_the_default_foreground(
        dashboard: DashboardFactory, monkeypatch: pytest.MonkeyPatch, no_color: str) -> None:
    monkeypatch.setenv("NO_COLOR", no_color)
    looks = {status.value.replace("_", " "): f"{symbol} {status.value.replace('_', ' ')}"
             for status, (symbol, _) in SAGA_LOOKS.items()}
    app = dashboard(DEMO)
    async with app.run_test(size=(120, 40)) as pilot:
        settled = {looks["completed"], looks["failed"], looks["on hold"]}
        await until(pilot, lambda: settled <= statuses(app), "the settled orders")
        table = main_screen(app).query_one(OrdersTable)
        plain = [assert_readable(table, shown, bool(no_color)) for shown in sorted(settled)]
        await asyncio.to_thread(app.session.call, lambda engine: engine.cancel("o-2"))
        await until(pilot, lambda: row(app, "o-2")["status"] == looks["cancelled"], "o-2 cancelled")
        plain.append(assert_readable(table, looks["cancelled"], bool(no_color)))
        if not no_color:
            assert not all(plain), "in colour, the statuses are told apart by colour too"
