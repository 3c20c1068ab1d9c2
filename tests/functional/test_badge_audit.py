"""The badge's audit passes: the first checks every order and says how far it got; a later
one reads only what changed, and both give what `ordersaga audit` gives."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pykka

from app.audit import audit
from app.cli import main
from app.dashboard.badge_audit import BadgeAudit
from app.dashboard.session import DashboardSession
from tests.conftest import FAST


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
