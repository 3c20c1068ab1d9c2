"""The dashboard acts as its operator (`--operator`): a retry from `r` says in the order's
timeline who retried it, and `history --json` gives the same entry with "by"."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pykka

from app.dashboard.app import make_dashboard
from app.report import order_report
from app.scenario import parse_scenario
from tests.carrier import carrier_outage
from tests.dashboard_pilot import FAST, listed_ids, row, select, timeline_rows, until


async def test_r_is_recorded_as_the_dashboards_operator(tmp_path: Path) -> None:
    scenario = parse_scenario(tomllib.loads(carrier_outage(3, 1)), "carrier")
    app = make_dashboard(tmp_path / "d.db", scenario, FAST, operator="dee")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: len(listed_ids(app)) == 3 and row(app, "o-1")["status"] == "✗ failed",
                        "o-1 failed")
            await select(pilot, "o-1")
            await pilot.press("r")
            await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 retried")
            await until(pilot, lambda: any(event[1:3] == ("order", "retry") for event in timeline_rows(app)),
                        "the retry in the timeline")
            retry = next(event for event in timeline_rows(app) if event[1:3] == ("order", "retry"))
            assert retry[-1].startswith("by dee: starts again at inventory")
            record = await asyncio.to_thread(app.session.call, lambda engine: engine.record("o-1"))
            entries = [entry for entry in order_report(record)["timeline"] if "by" in entry]
            assert [(entry["action"], entry["by"]) for entry in entries] == [("retry", "dee")]
    finally:
        app.session.close()
        pykka.ActorRegistry.stop_all()
