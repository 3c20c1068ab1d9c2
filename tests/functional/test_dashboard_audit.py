"""The audit badge: it says the ledger balances once orders settle, and names what is wrong
on a tampered database, with `a` listing the findings as `ordersaga audit` would."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from actors import create_database, open_engine

from app.cli import main
from app.dashboard.app import SagaDashboard
from app.dashboard.screens.audit_findings import AuditFindingsScreen
from app.dashboard.widgets.audit_badge import AuditBadge
from app.scenario import load_scenario
from tests.dashboard_pilot import PATIENCE_S, DashboardFactory, main_screen, row, select, until
from tests.functional.test_badge_audit import archived_again, badge_lines, cli_audit
from tests.tampering import Doc, tamper, tamper_archived

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


async def findings_listed(pilot: Pilot[None], app: SagaDashboard) -> list[str]:
    """The findings as `a` lists them, its screen closed again."""
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, AuditFindingsScreen), "the audit screen")
    lines = str(app.screen.query_one("#findings", Static).visual).splitlines()
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, AuditFindingsScreen), "the audit screen closed")
    return lines


async def test_the_first_pass_reads_settled_orders_from_the_archive(dashboard: DashboardFactory,
                                                                    tmp_path: Path) -> None:
    clean = tmp_path / "clean.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "card_declined", "--db", str(clean)]) == 0
    db = tamper_archived(clean, tmp_path, "o-1", "order/o-1", _forget_failure_notice)
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "1 finding" in badge(app), "one finding on the badge")
        lines = await findings_listed(pilot, app)
        assert lines == ["failure_notice: Order o-1 has 0 failure notices for attempt 1, which failed "
                         "at payment, instead of 1.", "1 order audited, 1 finding"]


def _confirmed(record: Doc) -> None:
    record["notifications"].append({"at": record["updated_at"], "attempt": 1, "kind": "confirmation",
                                    "message": f"Your order {record['order']['id']} is confirmed."})


async def test_a_later_pass_checks_again_the_order_that_changed(dashboard: DashboardFactory,
                                                                tmp_path: Path) -> None:
    scenario = load_scenario("insufficient_funds_hold").model_copy(update={"then": ()})
    held = tmp_path / "held.db"
    create_database(held, scenario)
    with open_engine(held) as engine:
        engine.wait_until_settled()
    db = tamper(held, tmp_path, ("order/o-2", _confirmed))  # o-2 is on hold
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "1 finding" in badge(app), "one finding on the badge")
        assert (await findings_listed(pilot, app))[0] == "confirmation: Order o-2 is on hold but was confirmed."
        await asyncio.to_thread(app.session.call, lambda engine: engine.cancel("o-2"))
        lines = await findings_listed(pilot, app)
        deadline = time.monotonic() + PATIENCE_S
        while "cancelled" not in lines[0]:  # until the pass after the cancel has been shown
            assert time.monotonic() < deadline, f"the audit never checked o-2 again: {lines}"
            await pilot.pause(0.05)
            lines = await findings_listed(pilot, app)
        assert lines == ["confirmation: Order o-2 is cancelled but was confirmed.", "2 orders audited, 1 finding"]


async def badge_verdict_now(pilot: Pilot[None], app: SagaDashboard) -> list[str]:
    """The verdict of a pass begun now (not one begun before), as `a` would list it."""
    screen = main_screen(app)
    begun = screen.audit_schedule.badge_audit.passes
    screen.audit_schedule.run()
    await until(pilot, lambda: screen.audit_schedule.verdict is not None and screen.audit_schedule.verdict.number > begun, "a new verdict")
    return badge_lines(screen.audit_schedule.verdict)


async def test_the_badge_agrees_with_the_audit_after_r_on_an_archived_order(
        dashboard: DashboardFactory, tmp_path: Path) -> None:
    db = tmp_path / "carrier.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "shipping_failure", "--db", str(db)]) == 0  # o-1 failed, both archived
    app = dashboard(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "ledger balanced" in badge(app), "a balanced ledger")
        await select(pilot, "o-1")
        await pilot.press("r")
        await asyncio.to_thread(archived_again, app.session, "o-1")
        assert row(app, "o-1")["status"] == "✓ completed"
        assert await badge_verdict_now(pilot, app) == cli_audit(db) == ["2 orders audited, 0 findings"]
        assert "ledger balanced" in badge(app)
