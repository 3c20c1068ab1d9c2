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
