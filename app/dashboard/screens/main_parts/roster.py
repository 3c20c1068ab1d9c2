"""The database's workers (PostgreSQL's), read every second on a worker thread: the board
keeps their states, the list marks the orders a silent or lost one holds, and the top line
counts them."""

from __future__ import annotations

from textual.message import Message

from actors import DatabaseError, Refused, StorageFailed, WorkerState, is_database_url
from app.dashboard.screens.main_parts.host import PartsHost

WORKERS_INTERVAL_S = 1.0  # a worker counts silent after missing two beats: a second or more


class WorkerRoster:
    class WorkersRead(Message):
        """The database's workers, as read now."""

        def __init__(self, workers: list[WorkerState]) -> None:
            super().__init__()
            self.workers = workers

    def __init__(self, screen: PartsHost) -> None:
        self._screen = screen

    def start(self) -> None:
        """Read the workers now and every WORKERS_INTERVAL_S (a database file has none)."""
        if not is_database_url(self._screen.session.db):
            return
        self._read()
        self._screen.set_interval(WORKERS_INTERVAL_S, self._read)

    def _read(self) -> None:
        self._screen.run_worker(self._read_now, thread=True, group="workers", exclusive=True)

    def _read_now(self) -> None:
        try:
            workers = self._screen.session.call(lambda engine: engine.workers())
        except (Refused, StorageFailed, DatabaseError):
            return  # the next read tries again; what is shown stays
        self._screen.post_message(self.WorkersRead(workers))

    def read(self, message: WorkersRead) -> None:
        """Take the workers as read: a Worker column once there are any, and the marks of the
        orders whose worker fell silent, was lost or came back."""
        screen = self._screen
        changed = screen.board.set_workers(message.workers)
        if message.workers:
            screen.orders.show_workers()
        if changed:
            screen.orders.refresh_orders(changed)
