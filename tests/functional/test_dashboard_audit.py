"""The audit badge: it says the ledger balances once orders settle, and names what is wrong
on a tampered database, with `a` listing the findings as `ordersaga audit` would."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from textual.widgets import Static

from app.cli import main
from app.dashboard.screens.audit_findings import AuditFindingsScreen
from app.dashboard.widgets.audit_badge import AuditBadge
from app.scenario import load_scenario
from tests.dashboard_pilot import DashboardFactory, dashboard, main_screen, until  # noqa: F401
from tests.tampering import Doc, tamper

SIZE = (100, 30)


def badge(app: object) -> str:
    return str(main_screen(app).query_one(AuditBadge).visual)  # type: ignore[arg-type]


async def test_the_badge_says_balanced_once_a_scenario_settles(dashboard: DashboardFactory) -> None:
    app = dashboard(load_scenario("shipping_failure"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "ledger balanced" in badge(app) and
                    main_screen(app).board.unsettled() == 0, "a balanced ledger once settled")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AuditFindingsScreen), "the audit screen")
        text = str(app.screen.query_one("#findings", Static).visual)
        assert text.endswith("2 orders audited, 0 findings")


def _forget_failure_notice(record: Doc) -> None:
    record["notifications"] = [n for n in record["notifications"] if n["kind"] != "failure"]


async def test_the_badge_counts_findings_and_a_lists_them(dashboard: DashboardFactory, tmp_path: Path) -> None:
    clean = tmp_path / "clean.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "card_declined", "--db", str(clean)]) == 0
    db = tamper(clean, tmp_path, ("order/o-1", _forget_failure_notice))
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "1 finding" in badge(app), "one finding on the badge")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AuditFindingsScreen), "the audit screen")
        lines = str(app.screen.query_one("#findings", Static).visual).splitlines()
        assert lines[0].startswith("failure_notice: ") and "o-1" in lines[0]
        assert lines[-1] == "1 order audited, 1 finding"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AuditFindingsScreen), "the audit screen closed")
