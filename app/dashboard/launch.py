"""`ordersaga dashboard`: open the database, run the dashboard, close the database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from actors import Refused, SagaEngine
from app import collector
from app.beside import Answer, Listener, listen
from app.dashboard.app import SagaDashboard, make_dashboard
from app.scenario import load_scenario

Serve = Callable[[list[str], SagaEngine], Answer]


def listening_beside(app: SagaDashboard, serve: Serve) -> Listener | None:
    """Carry out other processes' changing commands on the dashboard's engine (app/beside.py),
    whichever world it holds when they come. None on a PostgreSQL database, which every
    process opens itself, and where no socket can be made (the lock refuses others then)."""
    def carry_out(argv: list[str]) -> Answer:
        try:
            return app.session.call(lambda engine: serve(argv, engine))
        except Refused as refusal:  # no database open: the dashboard is closing
            return Answer(2, "", f"ordersaga: {refusal}\n")

    return listen(app.session.db, carry_out)


def run_dashboard(db: Path | str, scenario: str | None, operator: str | None, serve: Serve) -> NoReturn:
    """Run the dashboard, its actions recorded as operator's, then end the process. Raises
    ScenarioError or DatabaseError, before the UI starts, when either cannot be used."""
    collector.keep_running()
    chosen = load_scenario(scenario) if scenario else None
    app = make_dashboard(db, chosen, operator=operator)
    listener = listening_beside(app, serve)
    try:
        app.run()
    finally:
        if listener is not None:
            listener.close()
        app.session.close()
    # Everything is stored and every actor stopped: the interpreter's teardown (freeing each
    # object of the open world one by one) would only keep the operator waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
