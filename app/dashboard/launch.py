"""`ordersaga dashboard`: open the database, run the dashboard, close the database."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from app import collector
from app.dashboard.app import make_dashboard
from app.scenario import load_scenario


def run_dashboard(db: Path, scenario: str | None) -> NoReturn:
    """Run the dashboard, then end the process. Raises ScenarioError or DatabaseError, before
    the UI starts, when either cannot be used."""
    collector.keep_running()
    chosen = load_scenario(scenario) if scenario else None
    app = make_dashboard(db, chosen)
    try:
        app.run()
    finally:
        app.session.close()
    # Everything is stored and every actor stopped: the interpreter's teardown (freeing each
    # object of the open world one by one) would only keep the operator waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
