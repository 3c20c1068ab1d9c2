"""The badge's audit passes: the first checks every order and says how far it got; a later
one reads only what changed, and both give what `ordersaga audit` gives."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pykka

from app.audit import audit, summary
from app.cli import main
from app.dashboard.badge_audit import BadgeAudit
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.audit_badge import AuditBadge
from tests.conftest import FAST
from tests.dashboard_pilot import PATIENCE_S


def test_the_first_pass_counts_up_to_every_order_and_later_passes_agree(tmp_path: Path) -> None:
    db = tmp_path / "mixed.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "mixed_200", "--db", str(db)]) == 0
    session = DashboardSession.open(db, None, FAST)
    try:
        passes = BadgeAudit()
        progress: list[int] = []
        first = passes.run(session, progress.append)
        assert first is not None and first.orders == 200
        assert progress == sorted(progress) and progress[-1] == 100  # "auditing 40%" ... 100%
        again: list[int] = []
        second = passes.run(session, again.append)
        assert again == []  # nothing to count up to: only what changed is read
        full = session.call(lambda engine: audit(engine.snapshot(), allow_in_flight=True))
        assert second is not None and (second.orders, second.findings) == (200, full) == (first.orders, first.findings)
    finally:
        session.close()
        pykka.ActorRegistry.stop_all()


def archived_again(session: DashboardSession, order_id: str) -> None:
    """Wait until order_id has settled and left memory for the archive again."""
    deadline = time.monotonic() + PATIENCE_S
    session.call(lambda engine: engine.wait_until_settled(timeout_s=PATIENCE_S))
    while order_id in {r.order.id for r in session.call(lambda engine: engine.live_records())}:
        assert time.monotonic() < deadline, f"{order_id} was never archived again"
        time.sleep(0.01)


def cli_audit(db: Path) -> list[str]:
    """`ordersaga audit --db DB` as printed (it reads without the lock the session holds)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["audit", "--db", str(db)])
    return out.getvalue().splitlines()


def badge_lines(result: AuditBadge.Audited | None) -> list[str]:
    """The badge's verdict as `a` lists it (as `ordersaga audit` prints it)."""
    assert result is not None and result.findings is not None
    return [finding.line() for finding in result.findings] + [summary(result.orders, len(result.findings))]


def test_a_pass_after_an_archived_order_was_retried_and_archived_again_agrees_with_the_audit(
        tmp_path: Path) -> None:
    db = tmp_path / "carrier.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "shipping_failure", "--db", str(db)]) == 0  # o-1 failed for the carrier
    session = DashboardSession.open(db, None, FAST)
    try:
        passes = BadgeAudit()
        assert badge_lines(passes.run(session, lambda _: None)) == cli_audit(db) == ["2 orders audited, 0 findings"]
        session.call(lambda engine: engine.retry("o-1"))  # brought back from the archive: it completes
        archived_again(session, "o-1")  # all between two passes, as a retry usually is
        assert session.call(lambda engine: engine.record("o-1")).status.value == "completed"
        assert badge_lines(passes.run(session, lambda _: None)) == cli_audit(db) == ["2 orders audited, 0 findings"]
    finally:
        session.close()
        pykka.ActorRegistry.stop_all()
