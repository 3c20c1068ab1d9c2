"""The CLI beside the dashboard: while a dashboard holds an embedded database, a changing
command from another terminal is carried out by the dashboard and answered as the command
would, and each order it acted on says who did it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from app.cli import main, serve
from app.dashboard.launch import listening_beside
from app.scenario import parse_scenario
from tests.carrier import carrier_outage
from tests.dashboard_pilot import DashboardFactory, listed_ids, row, until

ROOT = Path(__file__).resolve().parents[2]


def ordersaga(*args: str | Path, operator: str = "bea") -> subprocess.CompletedProcess[str]:
    """`ordersaga ARGS` in a process of its own, as from a second terminal."""
    env = {**os.environ, "ORDERSAGA_OPERATOR": operator}
    return subprocess.run([sys.executable, "-m", "app", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_retry_where_from_another_terminal_is_carried_out_by_the_dashboard(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = tmp_path / "dashboard.db"
    app = dashboard(parse_scenario(tomllib.loads(carrier_outage(30, 10)), "carrier"), db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        listener = listening_beside(app, serve)
        try:
            await until(pilot, lambda: len(listed_ids(app)) > 0 and all(
                row(app, o)["status"] in ("✓ completed", "✗ failed") for o in listed_ids(app)), "the outage settled")
            failed = sorted(o for o in listed_ids(app) if row(app, o)["status"] == "✗ failed")
            assert failed
            done = await asyncio.to_thread(ordersaga, "retry", "--where", "status:failed reason:~carrier",
                                           "--yes", "--db", db)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith(f"{len(failed)} order")  # the preview, as the command gives it
            assert "Retried" in done.stdout
            await until(pilot, lambda: all(row(app, o)["status"] == "✓ completed" for o in failed),
                        "the retried orders completed on screen")
            # Each retried order says who retried it; history is read beside the dashboard too.
            history = await asyncio.to_thread(ordersaga, "history", failed[0], "--json", "--db", db)
            by = [(e["action"], e["by"]) for e in json.loads(history.stdout)["timeline"] if "by" in e]
            assert by == [("retry", "bea")]
            # Run again, it finds nothing left to retry: nothing changes.
            again = await asyncio.to_thread(ordersaga, "retry", "--where", "status:failed reason:~carrier",
                                            "--yes", "--db", db)
            assert again.returncode == 0 and again.stdout.startswith("No order matches"), again.stdout
            # A refusal comes back as the command's own: one line, exit 2.
            refused = await asyncio.to_thread(ordersaga, "cancel", failed[0], "--db", db)
            assert refused.returncode == 2 and refused.stderr.startswith("ordersaga: Order "), refused.stderr
            assert refused.stdout == ""
        finally:
            listener.close()


def test_a_holder_serves_only_commands_that_change_the_database(tmp_path: Path) -> None:
    answer = serve(["list", "--db", str(tmp_path / "x.db")], engine=None)  # type: ignore[arg-type]
    assert answer.status == 2
    assert answer.stderr == ("ordersaga: Only a command that changes the database is carried out for "
                             "another process, not 'list'.\n")


def test_a_command_beside_nobody_runs_by_itself(tmp_path: Path) -> None:
    db = tmp_path / "alone.db"
    assert main(["run", "insufficient_funds_hold", "--db", str(db)]) == 0
    assert not (tmp_path / ".alone.db.sock").exists(), "the listener closes with its engine"
    assert main(["top-up", "carol", "5", "--db", str(db), "--operator", "cy"]) == 0
