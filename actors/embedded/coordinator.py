"""The saga coordinator: drives every order's saga by messages.

It never waits on a participant: it persists a transition, and once the
storage actor says it is durable the command goes out; the answer comes back
as a message. Unanswered commands are asked again under the same idempotency
key by a timer, so a lost reply never applies anything twice.

At most `max_in_flight` sagas run at once; the others wait their turn (still
pending, or in flight when the process stopped). Unbounded, a burst of
thousands of orders queues commands behind each other until they outlast
the answer timeout and are all asked again, doubling the work.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import NamedTuple, cast

import pykka
from pykka.typing import ActorMemberMixin

from actors.embedded.participants.base import ParticipantProxy
from actors.embedded.proxies import actor_method
from actors.embedded.scheduler import Delayed, Scheduler, Timer
from actors.embedded.storage_actor import CommitBatch, SettledGroup, StorageProxy
from actors.events import EventHub, OrderUpdate
from actors.mapper import ARCHIVED_STATUSES, order_summary, stored_order, stored_time
from actors.saga import corrections, operators, replies, retrying
from actors.saga import rules as saga_logic
from actors.saga.domain import (
    Correction,
    IdempotencyKey,
    Order,
    OrderRecord,
    ParticipantReply,
    SagaStatus,
    Service,
    now,
)
from actors.saga.errors import Refused
from actors.saga.operators import Credit
from actors.saga.plan import definition
from actors.saga.rules import same_key
from actors.saga.settings import EngineSettings
from actors.saga.transitions import Command, Transition
from storage.codec import StoredDocument

# Settled orders are archived this many at a time, or all of them once none is running:
# archiving costs the storage actor three fsyncs (archive, index, journal) whatever the number.
ARCHIVE_BATCH = 128


class Outstanding(NamedTuple):
    """The command an order awaits an answer to, how many times it was sent, its timeout
    (made at every transition: a tuple is the cheapest immutable record)."""

    key: IdempotencyKey
    tries: int
    timeout: Timer


class NotLive(Refused):
    """The coordinator does not hold the order: it may be archived (the engine looks there)."""


class Progress(NamedTuple):
    """How many orders are settled (or can never move), of how many."""

    settled: int
    total: int


class SagaCoordinator(pykka.ThreadingActor):
    _self: CoordinatorProxy  # set in on_start, before any message is handled

    def __init__(self, storage: StorageProxy, participants: Mapping[Service, ParticipantProxy], hub: EventHub,
                 scheduler: Scheduler, settings: EngineSettings, latency_s: Mapping[Service, float],
                 records: list[OrderRecord], killed: threading.Event,
                 archive_settled: bool = False, idle: threading.Event | None = None) -> None:
        super().__init__()
        self._storage = storage
        self._participants = participants
        self._hub = hub
        self._scheduler = scheduler
        self._settings = settings
        self._latency_s = latency_s
        self._records = {record.order.id: record for record in records}
        # Per order: the command awaiting an answer and how many times it was sent.
        self._tries: dict[str, Outstanding] = {}
        # Orders not settled that wait for a turn, and those running (awaiting a command).
        self._waiting: deque[str] = deque()
        self._running: set[str] = set()
        self._batch: CommitBatch | None = None
        # Commands of the transitions made since the last send_to_storage, by participant; the
        # updates to publish, and the timers to start (timeouts, sends after a backoff).
        self._outgoing: dict[Service, list[tuple[IdempotencyKey, Order]]] = {}
        self._updates: list[OrderUpdate] = []
        self._later: list[Delayed] = []
        # Settled orders not yet handed to the archive, with the stored document they settled
        # with: handed over together, ARCHIVE_BATCH at a time or once none is running (_send_settled).
        self._settled: list[tuple[OrderRecord, StoredDocument | None]] = []
        # Set when the engine "kills" this coordinator: it then acts on nothing more.
        self._killed = killed
        # Settled orders leave memory for the archive, where the store has one.
        self._archive_settled = archive_settled
        # Set while no saga runs or waits (see progress), so a caller can wait for that
        # without asking every few milliseconds.
        self._idle = idle if idle is not None else threading.Event()

    def on_start(self) -> None:
        self._self = cast(CoordinatorProxy, self.actor_ref.proxy())
        self._batch = CommitBatch(self._storage, self._self.send_to_storage.defer)
        unsettled = [record for record in self._records.values() if not record.status.settled]
        # Sagas caught mid-way go first: they hold stock and money until they finish.
        unsettled.sort(key=lambda record: record.status == SagaStatus.PENDING)
        self._waiting.extend(record.order.id for record in unsettled)
        if self._archive_settled:
            # Settled when the process stopped, before the archive took them (or stored by a
            # version without one): they leave memory now.
            self._settled.extend((record, None)
                                 for record in self._records.values() if record.status in ARCHIVED_STATUSES)
            self._send_settled()
        self._admit()
        self._signal_if_idle()

    def _signal_if_idle(self) -> None:
        if not self._running and not self._waiting:
            self._idle.set()

    def _admit(self) -> None:
        """Start or resume waiting sagas while there is room."""
        while self._waiting and len(self._running) < self._settings.max_in_flight:
            record = self._records[self._waiting.popleft()]
            transition = saga_logic.resume(record, now())
            if transition is not None:
                self._apply(transition)

    # -- answers from participants and timers ---------------------------------
    def on_replies(self, replies: Sequence[ParticipantReply]) -> None:
        """A participant's replies that became durable together."""
        if self._killed.is_set():
            return
        for reply in replies:
            record = self._records.get(reply.key.order)
            transition = saga_logic.apply_reply(record, reply, now()) if record is not None else None
            if transition is not None:
                self._apply(transition)
        self._admit()

    def on_no_answer(self, key: IdempotencyKey, tries: int) -> None:
        record = self._records.get(key.order)
        outstanding = self._tries.get(key.order)
        if (record is None or self._killed.is_set() or outstanding is None
                or (outstanding.key, outstanding.tries) != (key, tries)):
            return
        waited_ms = round(self._timeout_s(key) * 1000)
        transition = saga_logic.no_answer(record, key, tries, self._settings.max_execute_tries,
                                          waited_ms, now())
        if transition is not None:
            self._apply(transition)
            self._admit()

    # -- operator requests ------------------------------------------------------
    def retry(self, order_id: str, by: str) -> str:
        record = self._record(order_id)
        transition = retrying.retry(record, now(), by)
        self._apply(transition)  # an operator's request does not queue
        self.send_to_storage()  # before the answer: whatever the caller stores next comes after
        return replies.retried(record, transition)

    def edit(self, change: Correction, by: str) -> str:
        record = self._record(change.order)
        transition = corrections.edit(record, change, now(), by)
        self._apply(transition)
        self.send_to_storage()
        return replies.edited(transition.record)

    def cancel(self, order_id: str, by: str) -> str:
        transition = retrying.cancel(self._record(order_id), now(), by)
        self._apply(transition)
        self.send_to_storage()
        return replies.cancelling(order_id)

    def credited(self, order_id: str, credit: Credit) -> str:
        """Tell the order's timeline of a top-up or restock made for it."""
        self._apply(operators.credited(self._record(order_id), credit))
        self.send_to_storage()
        return order_id

    # -- queries ------------------------------------------------------------------
    def records(self) -> list[OrderRecord]:
        return list(self._records.values())

    def live_record(self, order_id: str) -> OrderRecord | None:
        """One order's record, if it is live (not archived): None where _record refuses."""
        return self._records.get(order_id)

    def progress(self) -> Progress:
        """How many orders are settled: all but those in flight or waiting their turn.

        An unsettled order waiting on no command (a damaged record) can never
        move, so it counts as settled: waiting for it would hang every command.
        """
        total = len(self._records)
        return Progress(settled=total - len(self._running) - len(self._waiting), total=total)

    # -- plumbing -------------------------------------------------------------------
    def _record(self, order_id: str) -> OrderRecord:
        record = self._records.get(order_id)
        if record is None:
            raise NotLive(f"There is no order {order_id!r} in this database.")
        return record

    def _timeout_s(self, key: IdempotencyKey) -> float:
        service = definition(key.step).service
        return self._settings.answer_timeout(self._latency_s.get(service, 0.0))

    def _apply(self, transition: Transition) -> None:
        """Persist the transition; once durable, publish it and send its command (see
        send_to_storage: what every transition of a burst does then is one callback)."""
        record = transition.record
        name, document = stored_order(record)  # first: a record it cannot store changes nothing
        self._records[record.order.id] = record
        if transition.command is None:
            self._running.discard(record.order.id)
        else:
            self._running.add(record.order.id)
            if self._idle.is_set():  # clear() takes the event's lock: only when it is set
                self._idle.clear()
        self._updates.append(OrderUpdate(record=record))
        self._prepare_send(record.order.id, transition.command)
        assert self._batch is not None  # one commit for every transition of this burst
        self._batch.add([(name, document)])
        if self._archive_settled and record.status in ARCHIVED_STATUSES:
            self._settled.append((record, document))

    def _send_settled(self) -> None:
        """Once this burst's transitions are durable and acted on, ask the storage actor to
        archive the orders settled so far, in one message (once ARCHIVE_BATCH of them are
        waiting, or none is running); once that is durable, forget them here and in the
        participants."""
        if not self._settled or (self._running and len(self._settled) < ARCHIVE_BATCH):
            return
        assert self._batch is not None
        groups = [SettledGroup(record.order.id, stored_time(record.updated_at), document, order_summary(record))
                  for record, document in self._settled]
        settled = {record.order.id: record for record, _ in self._settled}
        self._settled = []
        storage, me = self._storage, self._self

        def forget_archived(order_ids: Sequence[str]) -> None:
            me.forget.defer([settled[order_id] for order_id in order_ids])

        self._batch.add([], lambda: storage.archive.defer(groups, forget_archived))

    def forget(self, archived: Sequence[OrderRecord]) -> None:
        """Drop archived orders from memory, but not one a retry has moved on since it settled;
        the participants drop them too, told in one message each."""
        forgotten = tuple(record.order.id for record in archived
                          if self._records.get(record.order.id) == record)
        if not forgotten:
            return
        for order_id in forgotten:
            del self._records[order_id]
        for participant in self._participants.values():
            participant.forget.defer(forgotten)

    def adopt(self, record: OrderRecord) -> None:
        """Take an order back from the archive (before an operator's retry of it)."""
        self._records.setdefault(record.order.id, record)

    def send_to_storage(self) -> None:
        """Hand the transitions made since the last call to the storage actor in one message."""
        assert self._batch is not None
        self._publish_and_time()
        self._send_settled()
        self._send_commands()  # last, so a participant is woken once the rest is done
        self._batch.send()
        self._signal_if_idle()

    def _prepare_send(self, order_id: str, command: Command | None) -> None:
        """Count the try, queue the command for this burst's send (_send_commands) or, after a
        backoff, for its own, and queue its timeout, both started once the burst is durable."""
        previous = self._tries.pop(order_id, None)
        if previous is not None:
            previous.timeout.cancel()  # answered, or about to be asked again with a new timeout
        if command is None:
            return
        tries = previous.tries + 1 if previous is not None and same_key(previous.key, command.key) else 1
        timer = Timer()
        self._tries[order_id] = Outstanding(command.key, tries, timer)
        delay = self._settings.delay_before_send(tries)
        order = self._records[order_id].order
        me, key = self._self, command.key
        if delay:
            participant = self._participants[command.service]
            self._later.append((delay, lambda: participant.execute_all.defer([(key, order)], me), None))
        else:
            self._outgoing.setdefault(command.service, []).append((key, order))
        self._later.append((self._timeout_s(key) + delay, lambda: me.on_no_answer.defer(key, tries), timer))

    def _publish_and_time(self) -> None:
        """Once this burst's transitions are durable: publish each, and start the timers of
        their commands (timeouts, and sends after a backoff), in one callback for them all."""
        if not self._updates and not self._later:
            return
        assert self._batch is not None
        updates, later = self._updates, self._later
        self._updates, self._later = [], []
        hub, scheduler, killed = self._hub, self._scheduler, self._killed

        def after_durable() -> None:
            if killed.is_set():
                return
            for update in updates:
                hub.publish(update)
            scheduler.call_all_later(later)

        self._batch.add([], after_durable)

    def _send_commands(self) -> None:
        """Once this burst's transitions are durable, send their commands (those not waiting for a
        backoff) in one message to each participant, rather than one each: each wakes a thread."""
        if not self._outgoing:
            return
        assert self._batch is not None
        outgoing, self._outgoing = self._outgoing, {}
        sends = [(self._participants[service], commands) for service, commands in outgoing.items()]
        me, killed = self._self, self._killed

        def after_durable() -> None:
            if not killed.is_set():
                for participant, commands in sends:
                    participant.execute_all.defer(commands, me)

        self._batch.add([], after_durable)


class CoordinatorProxy(ActorMemberMixin, pykka.ActorProxy[SagaCoordinator]):
    """The coordinator as the engine, the participants (its replies) and its timers call it."""

    on_replies = actor_method(SagaCoordinator.on_replies)
    on_no_answer = actor_method(SagaCoordinator.on_no_answer)
    retry = actor_method(SagaCoordinator.retry)
    edit = actor_method(SagaCoordinator.edit)
    cancel = actor_method(SagaCoordinator.cancel)
    credited = actor_method(SagaCoordinator.credited)
    records = actor_method(SagaCoordinator.records)
    live_record = actor_method(SagaCoordinator.live_record)
    progress = actor_method(SagaCoordinator.progress)
    send_to_storage = actor_method(SagaCoordinator.send_to_storage)
    forget = actor_method(SagaCoordinator.forget)
    adopt = actor_method(SagaCoordinator.adopt)
