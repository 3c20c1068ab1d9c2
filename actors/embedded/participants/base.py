"""What every participant actor shares: the ledger, injected faults, durable replies.

A participant asks the saga core's ledger (actors/saga/ledger.py) what to do with a
command, applies the effect to its own documents where the ledger allows it, hands
the changed documents to the storage actor and replies only once they are durable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, Protocol, TypeVar, cast

import pykka
from pykka.typing import ActorMemberMixin

from actors.embedded import documents
from actors.embedded.documents import ledger_entry
from actors.embedded.proxies import ProxyMethod, actor_method
from actors.embedded.scheduler import Scheduler
from actors.embedded.storage_actor import CommitBatch, StorageProxy
from actors.saga import ledger
from actors.saga.documents import OrderDocument, StoredDocuments
from actors.saga.domain import Action, IdempotencyKey, Order, ParticipantReply, Service
from actors.saga.effects import Effect, EffectWords, effect_name
from actors.saga.faults import FaultBook
from actors.saga.scenario import Fault
from storage.codec import encoded

A = TypeVar("A")
# A document this participant changed, by its full name: stored once the change is made.
Changed = tuple[str, Mapping[str, object]]


class ReplyTo(Protocol):
    """Whoever sends a participant commands (the coordinator): the answers go to its on_replies,
    those made durable together in one message."""

    @property
    def on_replies(self) -> ProxyMethod[[Sequence[ParticipantReply]], None]: ...


class Participant(pykka.ThreadingActor):
    service: ClassVar[Service]
    effect_words: ClassVar[EffectWords[str]]

    @classmethod
    def order_prefix(cls) -> str:
        """The name prefix of this participant's per-order documents."""
        return documents.order_prefix(cls.service)

    def __init__(self, storage: StorageProxy, scheduler: Scheduler, faults: FaultBook,
                 docs: StoredDocuments, latency_s: float, crash: Callable[[str], None]) -> None:
        super().__init__()
        self._storage = storage
        self._scheduler = scheduler
        self._faults = faults
        self._orders = documents.orders_in(self.service, docs)
        self._keep_shared(docs)
        self._latency_s = latency_s
        self._crash = crash
        self._batch: CommitBatch | None = None
        # Replies made since the last commit callback, sent together once durable (_send_replies).
        self._replies: list[tuple[ReplyTo, ParticipantReply]] = []
        # Orders archived while this actor ran: their documents left memory with them.
        self._archived: set[str] = set()

    def _keep_shared(self, docs: StoredDocuments) -> None:
        """Keep the documents this participant owns besides its per-order ones, if any."""

    def on_start(self) -> None:
        me = cast(ParticipantProxy, self.actor_ref.proxy())
        self._batch = CommitBatch(self._storage, me.send_to_storage.defer)

    # -- commands from the coordinator --------------------------------------
    def execute_all(self, commands: Sequence[tuple[IdempotencyKey, Order]], reply_to: ReplyTo) -> None:
        """Commands that became durable together, sent in one message: each in turn."""
        for key, order in commands:
            self.execute_or_compensate(key, order, reply_to)

    def execute_or_compensate(self, key: IdempotencyKey, order: Order, reply_to: ReplyTo) -> None:
        """Apply (execute) or undo (compensate) the effect key names, at most once (the ledger's rules)."""
        if order.id in self._archived:
            return  # a late duplicate of a settled order's command: its ledger is archived, nobody waits
        decision, fault, writes = self.receive(key, order, self._faults)
        if fault is not None:
            writes.insert(0, (self._faults.doc_name, self._faults.doc()))
        if decision.crash:
            where = f"{self.service.value} {key.action.value} of {key.order}"
            self._commit(writes, lambda: self._crash(where))
            return
        self._commit(writes, None)
        if decision.reply is not None:
            self._replies.append((reply_to, decision.reply))

    def receive(self, key: IdempotencyKey, order: Order,
                faults: FaultBook) -> tuple[ledger.Decision, Fault | None, list[Changed]]:
        """The ledger's decision on a command, carried to this participant's documents: the
        fault of `faults` that fired on it, and the documents it changed."""
        order_doc = self._orders.setdefault(order.id, {"ledger": {}})
        effect = effect_name(key)
        entry = ledger_entry(order_doc, effect)
        fault = faults.take(key, transport_only=ledger.is_repeat(key, entry))
        changed: list[Changed] = []

        def carry_out(action: Action) -> Effect:
            return (self.apply if action == Action.EXECUTE else self.undo)(order, effect, changed)

        decision = ledger.decide(key, entry, fault, carry_out)
        if decision.entry is not None:
            order_doc["ledger"][effect] = decision.entry.state
            if decision.entry.state == ledger.FAILED:
                order_doc.setdefault("failures", {})[effect] = decision.entry.failed_answer()
            changed.insert(0, (self.order_prefix() + order.id, order_doc))
        else:
            changed.clear()  # nothing of the effect changed
        return decision, fault, changed

    # -- the archive -----------------------------------------------------------
    def forget(self, order_ids: Sequence[str]) -> None:
        """The orders settled and were archived: their documents leave memory."""
        for order_id in order_ids:
            self._orders.pop(order_id, None)
        self._archived.update(order_ids)

    def adopt(self, stored: StoredDocuments, order_id: str) -> None:
        """Take an archived order's document back (an operator retries the order)."""
        self._orders.update(documents.orders_in(self.service, {name: doc for name, doc in stored.items()
                                                               if name == self.order_prefix() + order_id}))
        self._archived.discard(order_id)

    # -- what each service does, by its rules in actors/saga ---------------------------
    def apply(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        """Apply the effect to this participant's documents, naming those it changed."""
        raise NotImplementedError

    def undo(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        raise NotImplementedError

    # -- plumbing -------------------------------------------------------------
    def _order_doc(self, order: Order) -> OrderDocument:
        """This service's own record of an order: its ledger and effects."""
        return self._orders[order.id]

    def _commit(self, writes: list[Changed], then: Callable[[], None] | None) -> None:
        """Snapshot the changed documents for the storage actor; then runs once they are durable.

        Commands that arrive together are committed in one message to the storage actor.
        """
        assert self._batch is not None
        if then is not None:
            self._send_replies()  # the replies made before then go before it
        self._batch.add([(name, encoded(doc)) for name, doc in writes], then)

    def send_to_storage(self) -> None:
        """Hand the changes made since the last call to the storage actor in one message."""
        assert self._batch is not None
        self._send_replies()
        self._batch.send()

    def _send_replies(self) -> None:
        """Send the replies made so far once everything before them is durable: together, in
        one message to each receiver, rather than one each (every message wakes a thread)."""
        if not self._replies:
            return
        assert self._batch is not None
        gathered, self._replies = self._replies, []
        latency_s, scheduler = self._latency_s, self._scheduler

        def after_durable() -> None:
            receivers: dict[int, tuple[ReplyTo, list[ParticipantReply]]] = {}
            for reply_to, reply in gathered:
                receivers.setdefault(id(reply_to), (reply_to, []))[1].append(reply)
            for reply_to, replies in receivers.values():
                if latency_s > 0:
                    scheduler.call_later(latency_s, functools.partial(reply_to.on_replies.defer, replies))
                else:
                    reply_to.on_replies.defer(replies)

        self._batch.add([], after_durable)

    def _acknowledge(self, writes: list[Changed], message: A) -> pykka.ThreadingFuture[A]:
        """A future that resolves to message once the writes are durable (operator actions)."""
        done: pykka.ThreadingFuture[A] = pykka.ThreadingFuture()
        self._commit(writes, lambda: done.set(message))
        return done


class ParticipantProxy(ActorMemberMixin, pykka.ActorProxy[Participant]):
    """Any participant, as the coordinator and the engine call it."""

    execute_all = actor_method(Participant.execute_all)
    execute_or_compensate = actor_method(Participant.execute_or_compensate)
    send_to_storage = actor_method(Participant.send_to_storage)
    forget = actor_method(Participant.forget)
    adopt = actor_method(Participant.adopt)
