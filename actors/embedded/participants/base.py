"""What every participant shares: idempotency, injected faults, durable replies.

A participant applies a command's effect to its own state, hands the changed
documents to the storage actor and replies only once they are durable. Each
effect is named by its idempotency key (order, step, attempt); the ledger
records whether it was applied, failed (with the reason it was answered, so a
repeat after a restart gets the same answer even once an injected fault is
used up), compensated, or fenced (compensated before it ever arrived, so a
late delivery is refused instead of applied).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final, Generic, Protocol, TypeVar, cast

import pykka
from pykka.typing import ActorMemberMixin

from actors.saga.domain import Action, FaultKind, IdempotencyKey, Order, ParticipantReply, Service
from actors.saga.documents import LedgerRow, OrderDocument, StoredDocuments, documents_under
from actors.saga.faults import FaultBook
from actors.embedded.proxies import ProxyMethod, actor_method
from actors.embedded.scheduler import Scheduler
from actors.embedded.storage_actor import CommitBatch, StorageProxy
from storage.store import encoded

APPLIED: Final = "applied"
COMPENSATED: Final = "compensated"
FENCED: Final = "fenced"
FAILED: Final = "failed"

# A document this participant changed, by its full name: stored once the change is made.
Changed = tuple[str, Mapping[str, object]]
Status = TypeVar("Status", bound=str, covariant=True)


@dataclass
class EffectResult:
    """What applying or undoing an effect did, and which documents it changed."""

    ok: bool
    changed: list[Changed] = field(default_factory=list)
    reason: str = ""
    recoverable: bool = True
    shortfall: bool = False  # failed for want of what the step's remedy adds (see Failure.shortfall)


@dataclass(frozen=True)
class EffectWords(Generic[Status]):
    """How a participant names its effect, while it holds and once undone (the audit's words too)."""

    noun: str
    live: Status
    undone: Status


class ReplyTo(Protocol):
    """Whoever sends a participant commands (the coordinator): the answers go to its on_replies,
    those made durable together in one message."""

    @property
    def on_replies(self) -> ProxyMethod[[Sequence[ParticipantReply]], None]: ...


def effect_name(key: IdempotencyKey) -> str:
    return f"{key.order}/{key.step}/{key.attempt}"


def ledger_of(orders: Mapping[str, OrderDocument]) -> list[LedgerRow]:
    """What became of every effect the service was asked about, for the audit; a failed
    one with the reason and recoverable flag it was answered with."""
    rows: list[LedgerRow] = []
    for order, doc in sorted(orders.items()):
        failures = doc.get("failures", {})
        for effect, state in doc.get("ledger", {}).items():
            failure = failures.get(effect)
            rows.append({"order": order, "effect": effect, "state": state} if failure is None
                        else {"order": order, "effect": effect, "state": state, **failure})
    return rows


class Participant(pykka.ThreadingActor):
    service: ClassVar[Service]
    effect_words: ClassVar[EffectWords[str]]
    # Stored documents this participant owns besides its per-order ones, by name prefix.
    shared_prefixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def order_prefix(cls) -> str:
        """The name prefix of this participant's per-order documents."""
        return f"{cls.service.value}/"

    @classmethod
    def owned_prefixes(cls) -> tuple[str, ...]:
        """Every stored document this participant owns, by name prefix: only it writes them."""
        return (*cls.shared_prefixes, cls.order_prefix())

    @classmethod
    def orders_in(cls, docs: StoredDocuments) -> dict[str, OrderDocument]:
        """This participant's records of orders among stored documents, by order id."""
        return documents_under(docs, cls.order_prefix(), OrderDocument)

    def __init__(self, storage: StorageProxy, scheduler: Scheduler, faults: FaultBook,
                 docs: StoredDocuments, latency_s: float, crash: Callable[[str], None]) -> None:
        super().__init__()
        self._storage = storage
        self._scheduler = scheduler
        self._faults = faults
        self._orders = self.orders_in(docs)
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
        """Apply (execute) or undo (compensate) the effect key names, at most once."""
        if order.id in self._archived:
            return  # a late duplicate of a settled order's command: its ledger is archived, nobody waits
        order_doc = self._orders.setdefault(order.id, {"ledger": {}})
        ledger = order_doc["ledger"]
        effect = effect_name(key)
        state = ledger.get(effect)
        repeated = (state is not None if key.action == Action.EXECUTE
                    else state in (COMPENSATED, FENCED, FAILED))
        # A repeated call still travels and may be lost; only a fresh one can fail as an operation.
        fault = self._faults.take(key, transport_only=repeated)
        writes: list[Changed] = [(self._faults.doc_name, self._faults.doc())] if fault else []
        if fault is not None and fault.kind == FaultKind.CRASH:
            where = f"{self.service.value} {key.action.value} of {key.order}"
            self._commit(writes, lambda: self._crash(where))
            return
        if fault is not None and fault.kind == FaultKind.TIMEOUT:
            self._commit(writes, None)  # the call is lost before it takes effect
            return
        lost = fault is not None and fault.kind == FaultKind.LOST_REPLY
        if repeated:
            self._answer(writes, reply_to, self._recorded_reply(key, order_doc, state), lost=lost)
            return
        if key.action == Action.EXECUTE:
            result = (EffectResult(ok=False, reason=fault.reason, recoverable=fault.recoverable)
                      if fault is not None and fault.kind == FaultKind.ERROR
                      else self.apply(order, effect))
            # Failures are recorded too: a repeat is answered the same, never evaluated afresh.
            ledger[effect] = APPLIED if result.ok else FAILED
            if not result.ok:
                order_doc.setdefault("failures", {})[effect] = {
                    "reason": result.reason, "recoverable": result.recoverable,
                    "shortfall": result.shortfall}
        elif fault is not None and fault.kind == FaultKind.ERROR:
            # A failed compensation leaves the effect applied; it is asked again until it succeeds.
            self._answer(writes, reply_to, self._reply(key, False, fault.reason, fault.recoverable))
            return
        elif state == APPLIED:
            result = self.undo(order, effect)
            if result.ok:
                ledger[effect] = COMPENSATED
        else:
            # Nothing of this effect arrived yet: fence it so a late delivery is refused.
            ledger[effect] = FENCED
            result = EffectResult(ok=True)
        writes += [(self.order_prefix() + order.id, order_doc), *result.changed]
        reply = self._reply(key, result.ok, result.reason, result.recoverable, result.shortfall)
        self._answer(writes, reply_to, reply, lost=lost)

    def _recorded_reply(self, key: IdempotencyKey, order_doc: OrderDocument,
                        state: str | None) -> ParticipantReply:
        """The answer the ledger gives a repeated command: the one it was given the first time.

        A compensation of an effect that failed, or that was fenced, has nothing to undo.
        """
        if key.action == Action.COMPENSATE or state in (APPLIED, COMPENSATED):
            return self._reply(key, True)
        if state == FAILED:
            failure = order_doc["failures"][effect_name(key)]
            return self._reply(key, False, failure["reason"], failure["recoverable"],
                               failure.get("shortfall", False))
        return self._reply(key, False, "it was cancelled before it arrived")

    # -- the archive -----------------------------------------------------------
    def forget(self, order_ids: Sequence[str]) -> None:
        """The orders settled and were archived: their documents leave memory."""
        for order_id in order_ids:
            self._orders.pop(order_id, None)
        self._archived.update(order_ids)

    def adopt(self, documents: StoredDocuments, order_id: str) -> None:
        """Take an archived order's document back (an operator retries the order)."""
        self._orders.update(self.orders_in({name: doc for name, doc in documents.items()
                                            if name == self.order_prefix() + order_id}))
        self._archived.discard(order_id)

    # -- what each service does ---------------------------------------------
    def apply(self, order: Order, effect: str) -> EffectResult:
        raise NotImplementedError

    def undo(self, order: Order, effect: str) -> EffectResult:
        raise NotImplementedError

    @classmethod
    def terms(cls, order: Order) -> object:
        """What of the order this service's effect is made of (what its own record of the
        effect holds): a correction that changes it invalidates an effect kept from before."""
        raise NotImplementedError

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        """What executing (or compensating) this service's effect for order does, for an
        operator: "reserves 1 KEYBOARD", "refunds $149.97"."""
        raise NotImplementedError

    # -- plumbing -------------------------------------------------------------
    def _order_doc(self, order: Order) -> OrderDocument:
        """This service's own record of an order: its ledger and effects."""
        return self._orders[order.id]

    @staticmethod
    def _reply(key: IdempotencyKey, ok: bool, reason: str = "", recoverable: bool = True,
               shortfall: bool = False) -> ParticipantReply:
        return ParticipantReply(key=key, ok=ok, reason="" if ok else reason, recoverable=recoverable,
                                shortfall=shortfall)

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

    def _answer(self, writes: list[Changed], reply_to: ReplyTo, reply: ParticipantReply,
                lost: bool = False) -> None:
        """Reply once the writes (and everything before them) are durable.

        A lost reply (an injected fault) is written all the same, and never sent.
        """
        self._commit(writes, None)
        if not lost:
            self._replies.append((reply_to, reply))

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

    def _acknowledge(self, writes: list[Changed], message: str) -> pykka.ThreadingFuture[str]:
        """A future that resolves to message once the writes are durable (operator actions)."""
        done: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()
        self._commit(writes, lambda: done.set(message))
        return done


class ParticipantProxy(ActorMemberMixin, pykka.ActorProxy[Participant]):
    """Any participant, as the coordinator and the engine call it."""

    execute_all = actor_method(Participant.execute_all)
    execute_or_compensate = actor_method(Participant.execute_or_compensate)
    send_to_storage = actor_method(Participant.send_to_storage)
    forget = actor_method(Participant.forget)
    adopt = actor_method(Participant.adopt)
