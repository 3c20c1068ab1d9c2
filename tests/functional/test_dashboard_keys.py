"""The keys a person presses: what asks before it destroys, how to move and find
what needs doing, and a footer that shows only the keys that help now."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot
from textual.widgets import Input

from app.dashboard.app import SagaDashboard
from app.dashboard.keys import KEYS
from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.help import HelpScreen
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.dashboard.widgets.orders_table import OrdersTable
from app.scenario import load_scenario, parse_scenario
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    nothing_pending,
    row,
    select,
    timeline_headings,
    timeline_rows,
    until,
)
from tests.functional.test_dashboard import PATIENT, stalled

DEMO = load_scenario("demo").model_copy(update={"latency_ms": {}})
SIZE = (80, 24)


def selected(app: SagaDashboard) -> str | None:
    return main_screen(app).query_one(OrdersTable).selected_id


def footer_keys(app: SagaDashboard) -> list[str]:
    return [key.key_display for key in main_screen(app).query("FooterKey")]  # type: ignore[attr-defined]


async def settled(pilot: Pilot[None], app: SagaDashboard, orders: int) -> None:
    main = main_screen(app)
    await until(pilot, lambda: len(main.board.summaries) == orders and main.board.unsettled() == 0,
                f"all {orders} orders settled")


async def test_j_k_g_G_move_and_k_crashes_nothing_while_X_asks_first(dashboard: DashboardFactory) -> None:
    app = dashboard(parse_scenario(stalled("inventory"), "test"), settings=PATIENT)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "o-1 listed")
        await pilot.press("k", "X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the crash question")
        assert "killed at once and restarted" in str(app.screen.query_one("Static").visual)
        await pilot.press("n", "X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the crash question again")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app), "the question closed")
        await nothing_pending(pilot)
        assert "restarted" not in event_line(app)
        assert row(app, "o-1")["step"] == "inventory"

        await pilot.press("X", "y")
        await until(pilot, lambda: "The coordinator was killed and restarted" in event_line(app),
                    "the restart")
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed")
    app.session.close()

    app = dashboard(DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 8)
        await pilot.press("j", "j")
        assert selected(app) == "o-3"
        await pilot.press("k")
        assert selected(app) == "o-2"
        await pilot.press("G")
        assert selected(app) == "o-8"
        await pilot.press("g")
        assert selected(app) == "o-1"


async def test_cancel_asks_first_and_no_or_escape_keep_the_order_on_hold(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("insufficient_funds_hold"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 2)
        await select(pilot, "o-2")
        for answer in ("n", "escape"):
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the cancel question")
            await pilot.press(answer)
            await until(pilot, lambda: app.screen is main_screen(app), "the question closed")
            await nothing_pending(pilot)
            assert row(app, "o-2")["status"] == "‖ on hold"
        reservations = await asyncio.to_thread(app.session.call,
                                               lambda e: e.snapshot().inventory["reservations"])
        assert any(r["order"] == "o-2" and r["status"] == "held" for r in reservations), \
            "the held order keeps its reservation"


async def test_loading_asks_first_even_when_nothing_is_in_flight(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("happy_path"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 3)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        app.screen.query_one("#path", Input).value = "card_declined"
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the load question")
        question = str(app.screen.query_one("Static").visual)
        assert "replaces everything" in question and "3 orders with their history" in question
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main_screen(app), "the question closed")
        await nothing_pending(pilot)
        assert listed_ids(app) == ["o-1", "o-2", "o-3"]
        assert await asyncio.to_thread(app.session.call, lambda e: e.scenario.name) == "Happy path"


async def test_O_reverses_the_sort_and_f_goes_round_the_failed_orders(dashboard: DashboardFactory) -> None:
    app = dashboard(DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 8)
        await pilot.press("O")
        assert listed_ids(app) == [f"o-{n}" for n in range(8, 0, -1)]
        assert "by id ↓" in str(main_screen(app).query_one(OrdersTable).border_title)
        await pilot.press("O")
        assert listed_ids(app) == [f"o-{n}" for n in range(1, 9)]

        jumps = []
        for _ in range(5):
            await pilot.press("f")
            jumps.append(selected(app))
        assert jumps == ["o-2", "o-4", "o-6", "o-7", "o-2"]
    app.session.close()

    app = dashboard(load_scenario("happy_path"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, app, 3)
        assert "f" not in footer_keys(app)
        await pilot.press("f")  # hidden, it still answers
        assert event_line(app) == "No order is failed or on hold now."


async def test_each_attempt_has_its_own_heading_in_the_timeline(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("insufficient_funds"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, app, 1)
        await asyncio.to_thread(app.session.call, lambda e: e.top_up("bob", 10000))
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed")
        await until(pilot, lambda: len(timeline_headings(app)) == 2, "a heading for attempt 2")
        assert [heading.split(" ─")[0] for heading in timeline_headings(app)] == ["Attempt 1", "Attempt 2"]
        attempts = [event[0] for event in timeline_rows(app)]
        assert attempts == sorted(attempts) and set(attempts) == {"1", "2"}


async def test_the_footer_shows_the_keys_that_help_the_selected_order(dashboard: DashboardFactory) -> None:
    app = dashboard(DEMO)
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, app, 8)
        always = ["f", "/", "o", "n", "a", "l", "?", "q", "^p"]
        wanted = {"o-1": [],                    # completed
                  "o-2": ["r", "e", "c", "t"],  # short of money, on hold
                  "o-4": ["r", "e", "s"],       # out of stock
                  "o-6": [],                    # card declined: nothing to do
                  "o-7": ["r", "e"]}            # carrier failure
        for order_id, keys in wanted.items():
            await select(pilot, order_id)
            await until(pilot, lambda keys=keys: footer_keys(app) == keys + always, f"the keys for {order_id}")

        await select(pilot, "o-1")
        await pilot.press("r")  # hidden, it still answers: why not
        await until(pilot, lambda: "only a failed or held order can be retried" in event_line(app),
                    "the refusal of a hidden key")
    app.session.close()

    app = dashboard(load_scenario("insufficient_funds_hold"))
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, app, 2)
        await select(pilot, "o-2")
        await until(pilot, lambda: footer_keys(app)[:4] == ["r", "e", "c", "t"], "the keys for a held order")


async def test_at_60_by_15_help_and_quit_stay_in_sight_and_steps_read_whole(
        dashboard: DashboardFactory) -> None:
    app = dashboard(DEMO)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, app, 8)
        await select(pilot, "o-2")
        await pilot.resize_terminal(60, 15)
        main = main_screen(app)
        await until(pilot, lambda: main.query_one(OrdersTable).size.width == 60, "the narrow table")
        assert selected(app) == "o-2", "a narrower table keeps the selected order"
        await until(pilot, lambda: "?" in footer_keys(app), "the footer")
        shown = {key.key_display: key.region for key in main.query("FooterKey")}  # type: ignore[attr-defined]
        for key in ("?", "q"):
            assert shown[key].right <= 60 and shown[key].y == 14, f"{key} is out of sight"
        table = main.query_one(OrdersTable)
        assert table.max_scroll_x == 0, "the orders table is wider than the screen"
        assert row(app, "o-2")["step"] == "payment"
        step = next(column for column in table.ordered_columns if column.key.value == "step")
        assert step.width >= len("inventory")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_every_key_is_in_the_palette_once_and_quit_only_once(dashboard: DashboardFactory) -> None:
    app = dashboard()
    async with app.run_test(size=SIZE) as pilot:
        main = main_screen(app)
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(main)]
        for key in KEYS:
            assert titles.count(f"{key.label} ({key.shown_as})") == 1
        assert "Quit" not in titles
        palette = {command.title: command for command in app.get_system_commands(main)}
        palette["Help (?)"].callback()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
