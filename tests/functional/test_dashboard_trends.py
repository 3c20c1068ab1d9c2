"""T opens the trend: the last hour's completed and failed orders per minute, and the reasons."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Sparkline, Static

from app.dashboard.screens.trends import TrendsScreen
from tests.dashboard_pilot import DashboardFactory, until
from tests.functional.test_dashboard_history import settled_demo


async def test_t_shows_the_demos_hour_by_minute_and_its_reasons(dashboard: DashboardFactory,
                                                                tmp_path: Path) -> None:
    app = dashboard(db=settled_demo(tmp_path / "demo.db"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, TrendsScreen), "the trends panel")

        def said(widget_id: str) -> str:
            return str(app.screen.query_one(widget_id, Static).content)

        await until(pilot, lambda: said("#completed-label") == "✓ completed  4", "four completed")
        assert said("#failed-label") == "✗ failed  3"
        assert sum(app.screen.query_one("#failed", Sparkline).data or []) == 3
        assert len(app.screen.query_one("#completed", Sparkline).data or []) == 60
        reasons = said("#reasons")
        assert "Carrier unavailable" in reasons and "Card declined by issuer" in reasons
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TrendsScreen), "the panel closed")
