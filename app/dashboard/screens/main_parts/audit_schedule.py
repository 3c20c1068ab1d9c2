"""When the audit badge re-audits: at once for a new world, then at most once a second
while orders move, each pass on a worker thread."""

from __future__ import annotations

from textual.timer import Timer

from app.dashboard.badge_audit import BadgeAudit
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.widgets.audit_badge import AuditBadge

AUDIT_INTERVAL_S = 1.0  # the badge re-audits at most once a second while orders move


class AuditSchedule:
    def __init__(self, screen: PartsHost) -> None:
        self._screen = screen
        self.badge_audit = BadgeAudit()
        self.verdict: AuditBadge.Audited | None = None
        self._timer: Timer | None = None
        self._stale_until = 0  # verdicts of passes up to this one read a world since replaced

    def run(self) -> None:
        """Audit the open database off the UI thread (what changed since the last pass, after
        the first); the badge shows how far the first pass got, then the verdict."""
        self._screen.run_worker(self._run, thread=True, group="audit")

    def _run(self) -> None:
        screen = self._screen
        result = self.badge_audit.run(screen.session, lambda done: screen.post_message(AuditBadge.Progress(done)))
        if result is not None:
            screen.post_message(result)

    def changed(self) -> None:
        """Orders moved: audit again within AUDIT_INTERVAL_S, once however many moved."""
        if self._timer is None:
            self._timer = self._screen.set_timer(AUDIT_INTERVAL_S, self._due)

    def _due(self) -> None:
        self._timer = None
        self.run()

    def progress(self, progress: AuditBadge.Progress) -> None:
        self._screen.query_one(AuditBadge).show_progress(progress.done)

    def world_replaced(self) -> None:
        """Drop the verdicts of the passes begun so far: one may have read the new world into
        the old world's book, and would find what is not there."""
        self._stale_until = self.badge_audit.passes

    def audited(self, result: AuditBadge.Audited) -> None:
        if result.number <= self._stale_until:
            return
        self.verdict = result
        self._screen.query_one(AuditBadge).show(result)
