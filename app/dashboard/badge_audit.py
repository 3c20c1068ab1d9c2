"""The audit badge's passes over the open database. The first checks every order, saying how
far it got; a later one reads only the live orders and those archived since the last pass,
re-checks the ones that changed and combines them with the verdicts kept (app/audit/book.py),
so it costs what is live, with the findings a full audit would give."""

from __future__ import annotations

import threading
from collections.abc import Callable


from actors import SagaEngine, Refused, StorageFailed, WorldStream
from app.audit import AuditBook, AuditError
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.audit_badge import AuditBadge

Progress = Callable[[int], object]  # the share of the first pass done, in percent


class BadgeAudit:
    """One pass at a time: a pass asked for while one runs is made once it ends."""

    def __init__(self) -> None:
        self._book: AuditBook | None = None
        self._engine: SagaEngine | None = None  # the engine whose world the book holds
        self._running = threading.Lock()
        self._again = threading.Event()

    def run(self, session: DashboardSession, progress: Progress) -> AuditBadge.Audited | None:
        """The verdict of a pass (None: no database to audit, or another pass will give it)."""
        self._again.set()
        result = None
        while self._again.is_set():
            if not self._running.acquire(blocking=False):
                return None  # the running pass sees the request once it ends
            try:
                while self._again.is_set():
                    self._again.clear()
                    result = self._pass(session, progress)
            finally:
                self._running.release()
        return result

    def _pass(self, session: DashboardSession, progress: Progress) -> AuditBadge.Audited | None:
        try:
            book, stream, first = session.call(self._start)
            book.begin(stream.live)
            done = -1
            for n, parts in enumerate(stream.orders(), start=1):
                book.check(parts)
                if first and n * 100 // stream.count != done:
                    done = n * 100 // stream.count
                    progress(done)
            return AuditBadge.Audited(book.orders, book.findings())
        except AuditError as error:
            self._book = None
            return AuditBadge.Audited(0, None, str(error))
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            # No database open, its storage failed (the banner says so), or a new world
            # replaced it while it was read: the next pass starts afresh.
            self._book = None
            return None

    def _start(self, engine: SagaEngine) -> tuple[AuditBook, WorldStream, bool]:
        """The book and what to read into it: every order the first time on a world, then the
        live ones and those live at the last pass (archived since, or not)."""
        if self._book is None or engine is not self._engine:
            self._book, self._engine = AuditBook(allow_in_flight=True), engine
            return self._book, engine.stream(), True
        return self._book, engine.stream(archived=self._book.live_orders), False
