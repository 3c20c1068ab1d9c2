"""Driving the dashboard in tests: build it on a temporary database, wait for
what a person would wait for, and read what the screen shows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pykka
import pytest
from textual.message import Message
from textual.message_pump import MessagePump
from textual.pilot import Pilot

from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings
from app.dashboard.app import SagaDashboard, make_dashboard
from app.dashboard.screens.main import MainScreen
from app.dashboard.widgets.event_line import EventLine
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import HEADING, Timeline
from tests.conftest import FAST

DashboardFactory = Callable[..., SagaDashboard]
# Generous: a bound that turns a hang into a failure, not a timing requirement.
PATIENCE_S = 30.0


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[DashboardFactory]:
    """Build dashboards on a database in tmp_path; their engines close afterwards."""
    apps: list[SagaDashboard] = []

    def build(scenario: Scenario | None = None, settings: EngineSettings = FAST,
              db: Path | None = None) -> SagaDashboard:
        app = make_dashboard(db or tmp_path / "dashboard.db", scenario, settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.session.close()
    pykka.ActorRegistry.stop_all()


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until condition holds; fail, naming what never showed, if it never does."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the dashboard never showed {what}")
        await pilot.pause(0.02)


def handled(pump: MessagePump, kind: type[Message]) -> Callable[[], bool]:
    """A condition for until: pump has handled a message of this kind since this call.

    Textual publishes each message on its pump's message_signal once the handlers (and the
    callbacks they queued to run next) are done, so a key whose handler must change nothing
    can be shown to have changed nothing, not merely not yet."""
    seen: list[Message] = []
    pump.message_signal.subscribe(pump, lambda message: seen.append(message)
                                  if isinstance(message, kind) else None, immediate=True)
    return lambda: bool(seen)


class _Marker(Message, bubble=False):
    """Queued to a pump behind everything queued to it so far."""


async def nothing_pending(pilot: Pilot[None]) -> None:
    """Wait until everything the keys so far set off is done and on screen: what the app and its
    screens had queued (a dialog's answer is a callback queued to one of them), then every
    worker started by then (the engine calls), then what those workers posted.

    Call it once the dialogs the keys close are closed: then what the screen shows is what
    those keys did, so it can show that they changed nothing."""
    app = pilot.app
    await _handled_so_far(pilot, [app, *app.screen_stack])
    workers = list(app.workers)
    await until(pilot, lambda: all(worker.is_finished for worker in workers),
                "every engine call answered")
    await _handled_so_far(pilot, [app, *app.screen_stack])


async def _handled_so_far(pilot: Pilot[None], pumps: list[MessagePump]) -> None:
    conditions = []
    for pump in pumps:
        conditions.append(handled(pump, _Marker))
        pump.post_message(_Marker())
    await until(pilot, lambda: all(condition() for condition in conditions),
                "every message queued so far handled")


def main_screen(app: SagaDashboard) -> MainScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, MainScreen))


def row(app: SagaDashboard, order_id: str) -> dict[str, str]:
    """An order's row in the orders table, by column, as displayed."""
    table = main_screen(app).query_one(OrdersTable)
    cells = table.get_row(order_id)
    return {str(column.key.value): cell.plain for column, cell in zip(table.ordered_columns, cells, strict=True)}


def listed_ids(app: SagaDashboard) -> list[str]:
    table = main_screen(app).query_one(OrdersTable)
    return [str(table.coordinate_to_cell_key((index, 0)).row_key.value)
            for index in range(table.row_count)]


def strip_text(app: SagaDashboard) -> str:
    strip = main_screen(app).query_one(StepStrip)
    return f"{strip.border_title}\n{strip.visual}"


def timeline_rows(app: SagaDashboard) -> list[tuple[str, ...]]:
    """(attempt, step, action, outcome, reason) of each event in the timeline."""
    table = main_screen(app).query_one(Timeline)
    return [tuple(cell.plain for cell in table.get_row(row.key)[1:]) for row in table.ordered_rows
            if not str(row.key.value).startswith(HEADING)]


def timeline_headings(app: SagaDashboard) -> list[str]:
    """The heading row of each attempt in the timeline, as its first cell reads."""
    table = main_screen(app).query_one(Timeline)
    return [table.get_row(row.key)[0].plain for row in table.ordered_rows
            if str(row.key.value).startswith(HEADING)]


def event_line(app: SagaDashboard) -> str:
    """What the line above the footer says now."""
    line = main_screen(app).query_one(EventLine)
    return " ".join(str(part.visual) for part in line.query("Static") if part.display)


async def select(pilot: Pilot[None], order_id: str) -> None:
    """Move the cursor to an order, as the arrow keys would, once it is listed (the list fills
    in as the history is read: on a fast machine the test may get there first)."""
    await until(pilot, lambda: order_id in listed_ids(pilot.app), f"{order_id} listed")  # type: ignore[arg-type]
    table = main_screen(pilot.app).query_one(OrdersTable)  # type: ignore[arg-type]
    table.move_cursor(row=table.get_row_index(order_id))
    await until(pilot, lambda: strip_text(pilot.app).startswith(f"Order {order_id} ·")  # type: ignore[arg-type]
                and "loading…" not in strip_text(pilot.app), f"{order_id} in the order pane")  # type: ignore[arg-type]
