"""The actor that owns the store: every write goes through its mailbox.

Writes that arrive together share one fsync (group commit): the actor flushes
when its mailbox runs dry or a batch grows large, and only then runs the
callbacks that act on those writes. So nothing is acted on before it is durable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pykka

from actors.domain import OrderRecord
from storage.store import SagaStore

log = logging.getLogger(__name__)

Write = tuple[str, dict[str, Any]]
AfterDurable = Callable[[], None]
_MAX_BATCH = 500


class CommitBatch:
    """One actor's writes and after-durable callbacks of a burst of messages, sent to the
    storage actor as one commit message.

    The first change of a burst calls `wake`, which queues a message to the owning
    actor itself; when that message runs, `send` hands over everything gathered
    by then. Callbacks keep their order, so replies stay behind the writes before them.
    """

    def __init__(self, storage: Any, wake: Callable[[], None]) -> None:
        self._storage = storage
        self._wake = wake
        self._writes: dict[str, dict[str, Any]] = {}
        self._after: list[AfterDurable] = []

    def add(self, writes: Sequence[Write], then: AfterDurable | None = None) -> None:
        """Gather writes (documents the caller hands over; the latest of a name wins) and then."""
        first = not self._writes and not self._after
        self._writes.update(writes)
        if then is not None:
            self._after.append(then)
        if first:
            self._wake()

    def send(self) -> None:
        """Hand over what the burst gathered, if anything."""
        if not self._writes and not self._after:
            return
        writes, after = list(self._writes.items()), self._after
        self._writes, self._after = {}, []
        self._storage.commit.defer(writes, after)


class StorageActor(pykka.ThreadingActor):
    def __init__(self, store: SagaStore) -> None:
        super().__init__()
        self._store = store
        self._after: list[AfterDurable] = []

    def commit(self, writes: Sequence[Write],
               then: AfterDurable | Sequence[AfterDurable] | None = None) -> None:
        """Store writes (whose dicts the caller hands over) and run then (one callback or
        several, in order) once durable."""
        for name, doc in writes:
            self._store.put(name, doc)
        if callable(then):
            self._after.append(then)
        elif then:
            self._after.extend(then)
        if self.actor_inbox.empty() or len(self._after) >= _MAX_BATCH:
            self._flush()

    def flush(self) -> None:
        """Make everything durable; a caller's .get() on this waits for it."""
        self._flush()

    def records(self) -> list[OrderRecord]:
        self._flush()
        return self._store.records()

    def _flush(self) -> None:
        self._store.flush()
        after, self._after = self._after, []
        for callback in after:
            try:
                callback()
            except pykka.ActorDeadError:
                pass  # the receiver was stopped (a restart): it recovers from storage
            except Exception:
                log.exception("an after-durable callback failed")

    def on_stop(self) -> None:
        self._flush()
        self._store.close()
