"""`l` (the scenario picker): a path typed at once, keys and all, is what Enter loads, not the
scenario highlighted in the list."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.scenario import load_scenario
from tests.dashboard_pilot import DashboardFactory, listed_ids, main_screen, until

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


async def test_a_typed_path_is_loaded_on_enter(dashboard: DashboardFactory, tmp_path: Path) -> None:
    typed = tmp_path / "mine.toml"
    typed.write_text((SCENARIOS / "card_declined.toml").read_text())
    app = dashboard(load_scenario("happy_path"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1", "o-2", "o-3"], "the happy path's orders")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ScenarioPicker), "the scenario picker")
        await pilot.press(*str(typed), "enter")  # typed straight away: no Tab, no click
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the load question")
        await pilot.press("y")
        await until(pilot, lambda: app.screen is main_screen(app), "the question closed")
        await until(pilot, lambda: listed_ids(app) == ["o-1"], "the typed scenario's one order")
        name = await asyncio.to_thread(app.session.call, lambda engine: engine.scenario.name)
        assert name == load_scenario("card_declined").name
