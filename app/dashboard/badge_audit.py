"""The audit badge's passes over the open database. The first checks every order, saying how
far it got; a later one reads only the live orders and those archived since the last pass,
re-checks the ones that changed and combines them with the verdicts kept (app/audit/book.py),
so it costs what is live, with the findings a full audit would give.

"Live at the last pass" alone misses an order that was brought back from the archive, moved
and was archived again between two passes (a retry takes well under the second between
passes): the book kept its verdict from before. So the passes also hear every order update
of the engine, and a later pass reads again each order that moved since the last one."""

from __future__ import annotations

import threading
from collections.abc import Callable

from actors import OrderUpdate, Refused, SagaEngine, StorageFailed, WorldStream
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
        self._moved_lock = threading.Lock()
        self._moved: set[str] = set()  # the orders that moved since the last pass began
        self._unsubscribe: Callable[[], None] | None = None
        self.passes = 0  # the passes begun: a verdict's number says which pass gave it

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
            self.passes += 1
            number = self.passes
            book, stream, first = session.call(self._start)
            book.begin(stream.live)
            done = -1
            for n, parts in enumerate(stream.orders(), start=1):
                book.check(parts)
                if first and n * 100 // stream.count != done:
                    done = n * 100 // stream.count
                    progress(done)
            return AuditBadge.Audited(book.orders, book.findings(), number=number)
        except AuditError as error:
            self._book = None
            return AuditBadge.Audited(0, None, str(error), number=number)
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            # No database open, its storage failed (the banner says so), or a new world
            # replaced it while it was read: the next pass starts afresh.
            self._book = None
            return None

    def _start(self, engine: SagaEngine) -> tuple[AuditBook, WorldStream, bool]:
        """The book and what to read into it: every order the first time on a world, then the
        live ones, those live at the last pass and those that moved since (archived since, or
        not). Heard before the stream is read, so a move during the read is read next pass."""
        if self._book is None or engine is not self._engine:
            if self._unsubscribe is not None:
                self._unsubscribe()
            self._take_moved()
            self._unsubscribe = engine.subscribe(self._heard)
            self._book, self._engine = AuditBook(allow_in_flight=True), engine
            return self._book, engine.stream(), True
        return self._book, engine.stream(archived=self._book.live_orders | self._take_moved()), False

    def _heard(self, update: OrderUpdate) -> None:
        """Called on an engine thread at every transition: only noted, for the next pass."""
        with self._moved_lock:
            self._moved.add(update.record.order.id)

    def _take_moved(self) -> set[str]:
        with self._moved_lock:
            moved, self._moved = self._moved, set()
        return moved
