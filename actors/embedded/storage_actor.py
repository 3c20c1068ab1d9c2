"""The actor that owns the store: every write goes through its mailbox.

Writes that arrive together share one fsync (group commit): the actor flushes
when its mailbox runs dry or a batch grows large, and only then runs the
callbacks that act on those writes. So nothing is acted on before it is durable.

When a flush fails (a full or failing disk) the actor stops acting: the
callbacks of that batch and of every later one never run, and the failure is
recorded where every thread waiting on the engine hears of it at once.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import pykka
from pykka.typing import ActorMemberMixin

from actors.embedded.proxies import actor_method
from actors.mapper import (
    ARCHIVED_STATUSES,
    archived_record,
    archived_summaries,
    order_group,
    order_record_document,
    read_records,
)
from actors.saga.domain import OrderRecord
from storage.archive import ArchivedGroup
from storage.codec import StoredDocument, copy_document
from storage.errors import StorageFailed
from storage.store import DocumentStore

log = logging.getLogger(__name__)

Write = tuple[str, StoredDocument]
AfterDurable = Callable[[], None]
_MAX_BATCH = 500
_ARCHIVED_VALUES = frozenset(status.value for status in ARCHIVED_STATUSES)
T = TypeVar("T")


class SettledGroup(NamedTuple):
    """A settled order to archive: its id, the updated_at it settled at and the stored document
    of its record then (None if this coordinator did not store it), and its summary row."""

    order_id: str
    settled_at: str | None
    document: StoredDocument | None
    summary: dict[str, Any]


class StorageFailure:
    """Why the storage stopped, if it did: set once, by the storage actor, and read by
    every thread that waits on the engine, so none waits for what can no longer happen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.error: StorageFailed | None = None
        self._listeners: list[Callable[[StorageFailed], None]] = []

    def set(self, error: StorageFailed) -> None:
        with self._lock:
            if self.error is not None:
                return
            self.error, listeners = error, self._listeners
        for listener in listeners:
            try:
                listener(error)
            except Exception:
                log.exception("a storage-failure listener failed")

    def listen(self, listener: Callable[[StorageFailed], None]) -> None:
        """Call listener (quick and thread-safe, as EventHub's subscribers) when the storage
        fails, or at once if it has."""
        with self._lock:
            error = self.error
            if error is None:
                self._listeners.append(listener)
        if error is not None:
            listener(error)

    def check(self) -> None:
        """Raise the failure, if the storage has failed."""
        if self.error is not None:
            raise self.error

    def get(self, future: pykka.Future[T], poll_s: float = 0.01) -> T:
        """The future's value, or the failure once the storage fails (which resolves nothing
        more, so a future waiting on something durable would wait for ever)."""
        while True:
            self.check()
            try:
                return future.get(timeout=poll_s)
            except pykka.Timeout:
                pass


class CommitBatch:
    """One actor's writes and after-durable callbacks of a burst of messages, sent to the
    storage actor as one commit message.

    The first change of a burst calls `wake`, which queues a message to the owning
    actor itself; when that message runs, `send` hands over everything gathered
    by then. Callbacks keep their order, so replies stay behind the writes before them.
    """

    def __init__(self, storage: StorageProxy, wake: Callable[[], None]) -> None:
        self._storage = storage
        self._wake = wake
        self._writes: dict[str, StoredDocument] = {}
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
    def __init__(self, store: DocumentStore, failure: StorageFailure | None = None) -> None:
        super().__init__()
        self._store = store
        self._failure = failure if failure is not None else StorageFailure()
        self._after: list[AfterDurable] = []

    def commit(self, writes: Sequence[Write],
               then: AfterDurable | Sequence[AfterDurable] | None = None) -> None:
        """Store writes (documents the caller hands over, see DocumentStore.put) and run then
        (one callback or several, in order) once durable; after a failure, neither."""
        if self._failure.error is not None:
            return
        for name, doc in writes:
            self._store.put(name, doc)
        if callable(then):
            self._after.append(then)
        elif then:
            self._after.extend(then)
        self._flush_unless_more_comes()

    def _flush_unless_more_comes(self) -> None:
        """Flush now, unless another message waits (it flushes then, and one fsync serves both).

        Every message must end so: one that returned with callbacks pending and an empty
        inbox would strand them (a command never sent, its timer never started) until some
        later commit came, which for an idle engine is never."""
        if self.actor_inbox.empty() or len(self._after) >= _MAX_BATCH:
            self._flush()

    def flush(self) -> None:
        """Make everything durable; a caller's .get() on this waits for it (or gets StorageFailed)."""
        self._flush()
        self._failure.check()

    def records(self) -> list[OrderRecord]:
        self.flush()
        return read_records(self._store)

    # -- the archive ---------------------------------------------------------------
    def archive(self, groups: Sequence[SettledGroup], then: Callable[[list[str]], None]) -> None:
        """Move settled orders' documents to the archive, each only if its record is still as it
        settled (an operator's retry may have moved it on since); then gets the ids archived
        once that is durable."""
        if self._failure.error is not None or not self._store.archives:
            self._flush_unless_more_comes()
            return
        archived = []
        for group in groups:
            order_id = group.order_id
            if not self._still_settled(group):
                continue
            try:
                self._store.archive(order_id, order_group(order_id), group.summary)
            except StorageFailed as error:  # starting the archive's files on a full or failing disk
                self._after = []  # not durable, so never acted on
                self._failure.set(error)
                return
            archived.append(order_id)
        if archived:
            self._after.append(functools.partial(then, archived))
        self._flush_unless_more_comes()

    def _still_settled(self, group: SettledGroup) -> bool:
        """Whether the order's stored record is the one it settled with: the document the
        coordinator stored then (compared by value), or one of an archived status stored at the
        time it settled."""
        name = order_record_document(group.order_id)
        if group.document is not None and self._store.holds(name, group.document):
            return True
        doc = self._store.peek(name)
        return doc is not None and doc.get("updated_at") == group.settled_at and doc.get("status") in _ARCHIVED_VALUES

    def archived_record(self, order_id: str) -> OrderRecord | None:
        """An archived order's record (its latest archived version), or None."""
        self._flush_unless_more_comes()
        documents = self._store.archived(order_id)
        return archived_record(documents, order_id) if documents is not None else None

    def unarchive(self, order_id: str) -> dict[str, dict[str, Any]]:
        """Make an archived order's documents live again, durably, and return copies of them."""
        documents = self._store.archived(order_id) or {}
        for name, doc in documents.items():
            self._store.put(name, copy_document(doc))
        self.flush()
        return documents

    def archived_summaries(self) -> list[dict[str, Any]]:
        """The summary row of every archived order that is not live again (a live copy wins)."""
        self._flush_unless_more_comes()
        return archived_summaries(self._store)

    def archived_groups(self) -> list[dict[str, dict[str, Any]]]:
        """The documents of every archived order (reading.snapshot.combine lets a live copy win)."""
        self.flush()
        return [documents for _, documents in self._store.every_archived()]

    # A reader's message may be the one a commit deferred its flush behind (see commit): each
    # flushes first, so nothing waits on it, and what was archived is in the archive to read.
    def archived_places(self, groups: list[str] | None) -> list[ArchivedGroup]:
        """Where the named archived orders are (every one, for None), for a reader of each in turn."""
        self.flush()
        return self._store.archived_places(groups)

    def archived_documents(self, places: list[ArchivedGroup]) -> list[dict[str, dict[str, Any]]]:
        """The documents of the archived groups at places, in that order: a reader's next few."""
        self.flush()
        return self._store.archived_documents(places)

    def _flush(self) -> None:
        if self._failure.error is not None:
            return
        try:
            self._store.flush()
        except StorageFailed as error:
            self._after = []  # not durable, so never acted on
            self._failure.set(error)
            return
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
        self._store.close()  # after a failure, without writing


class StorageProxy(ActorMemberMixin, pykka.ActorProxy[StorageActor]):
    """The storage actor as the other actors and the engine call it."""

    commit = actor_method(StorageActor.commit)
    flush = actor_method(StorageActor.flush)
    records = actor_method(StorageActor.records)
    archive = actor_method(StorageActor.archive)
    archived_record = actor_method(StorageActor.archived_record)
    unarchive = actor_method(StorageActor.unarchive)
    archived_groups = actor_method(StorageActor.archived_groups)
    archived_summaries = actor_method(StorageActor.archived_summaries)
    archived_places = actor_method(StorageActor.archived_places)
    archived_documents = actor_method(StorageActor.archived_documents)
