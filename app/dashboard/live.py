"""The one bridge from the engine's threads to the UI."""

from __future__ import annotations

import threading

from textual.message import Message
from textual.message_pump import MessagePump

from actors import OrderRecord, OrderUpdate, Scenario, StorageFailed


class LiveUpdates:
    """An engine subscriber that keeps the newest record of each order and wakes
    the UI with one message at a time.

    It runs on engine threads, so it only stores and posts: `post_message` is
    thread-safe and never waits for the UI (`call_from_thread` would hold the
    engine's thread until the UI ran). However many orders move, the UI reads
    them in batches at its own pace with `take`.
    """

    class Arrived(Message):
        """Records are waiting in the bridge that sent this."""

        def __init__(self, bridge: LiveUpdates) -> None:
            super().__init__()
            self.bridge = bridge

    class Opened(Message):
        """A world is open: its scenario, every record, and the bridge now feeding it."""

        def __init__(self, bridge: LiveUpdates, scenario: Scenario | None,
                     records: list[OrderRecord], fresh: bool) -> None:
            super().__init__()
            self.bridge = bridge
            self.scenario = scenario
            self.records = records
            self.fresh = fresh

    class Stopped(Message):
        """The storage failed: no order moves any more, and what is shown is what was stored."""

        def __init__(self, error: StorageFailed) -> None:
            super().__init__()
            self.error = error

    def __init__(self, target: MessagePump) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._pending: dict[str, OrderRecord] = {}
        self._workers: dict[str, str] = {}  # by order, the worker that stored what is pending
        self._woken = False
        # Why the storage of the engine this bridge follows failed, once it has.
        self.failure: StorageFailed | None = None

    def __call__(self, update: OrderUpdate) -> None:
        """Called on an engine thread once a transition is durable."""
        with self._lock:
            self._pending[update.record.order.id] = update.record
            if update.worker is not None:
                self._workers[update.record.order.id] = update.worker
            wake, self._woken = not self._woken, True
        if wake:
            self._target.post_message(self.Arrived(self))

    def stopped(self, error: StorageFailed) -> None:
        """Called on an engine thread when its storage fails."""
        self.failure = error
        self._target.post_message(self.Stopped(error))

    def take(self) -> list[OrderRecord]:
        """Everything that arrived since the last take; the next update wakes the UI again."""
        return self.take_with_workers()[0]

    def take_with_workers(self) -> tuple[list[OrderRecord], dict[str, str]]:
        """As take, with the worker that stored each record, by order (PostgreSQL's)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            workers, self._workers = self._workers, {}
            self._woken = False
        return list(pending.values()), workers
