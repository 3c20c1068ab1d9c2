"""The dashboard application, and the one factory that builds it for the CLI and the tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from actors import EngineSettings, Scenario
from app.dashboard.keys import KEYS
from app.dashboard.screens.main import MainScreen
from app.dashboard.session import DashboardSession


class SagaDashboard(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "ordersaga"

    def __init__(self, session: DashboardSession) -> None:
        super().__init__()
        self.session = session

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.session)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The main screen's keys, by name, in the command palette (whose own "Quit" would
        repeat ours)."""
        yield from (command for command in super().get_system_commands(screen)
                    if command.title != "Quit")
        if isinstance(screen, MainScreen):
            for key in KEYS:
                action = getattr(screen, f"action_{key.action}")
                yield SystemCommand(f"{key.label} ({key.shown_as})", key.description, action)


def make_dashboard(db: Path | str, scenario: Scenario | None = None,
                   settings: EngineSettings = EngineSettings(), operator: str | None = None) -> SagaDashboard:
    """Open db (loading scenario into it first, if given) and build the dashboard on it.

    Opening happens here, before any UI exists, so a locked or unreadable
    database is one DatabaseError for the caller to report. Whoever runs the
    app closes `app.session` afterwards.
    """
    return SagaDashboard(DashboardSession.open(db, scenario, settings, operator))
