"""`ordersaga dashboard`: open the database, run the dashboard, close the database."""

from __future__ import annotations

from pathlib import Path

from app.dashboard.app import make_dashboard
from app.scenario import load_scenario


def run_dashboard(db: Path, scenario: str | None) -> int:
    """Raises ScenarioError or DatabaseError, before the UI starts, when either cannot be used."""
    chosen = load_scenario(scenario) if scenario else None
    app = make_dashboard(db, chosen)
    try:
        app.run()
    finally:
        app.session.close()
    return app.return_code or 0
