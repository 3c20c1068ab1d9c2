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

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pykka

from actors.domain import Action, FaultKind, IdempotencyKey, Order, ParticipantReply, Service
from actors.participants.faults import FaultBook
from actors.scheduler import Scheduler
from actors.storage_actor import CommitBatch
from storage.store import copy_document

APPLIED = "applied"
COMPENSATED = "compensated"
FENCED = "fenced"
FAILED = "failed"


@dataclass
class Outcome:
    """What applying or undoing an effect did, and which documents it changed."""

    ok: bool
    changed: list[str] = field(default_factory=list)
    reason: str = ""
    recoverable: bool = True


@dataclass(frozen=True)
class EffectWords:
    """How a participant names its effect, while it holds and once undone (the audit's words too)."""

    noun: str
    live: str
    undone: str


def effect_name(key: IdempotencyKey) -> str:
    return f"{key.order}/{key.step}/{key.attempt}"


def docs_under(docs: dict[str, dict[str, Any]], prefix: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Copies of the documents under prefix: reports leave the owner's thread, state must not."""
    for name, doc in sorted(docs.items()):
        if name.startswith(prefix):
            yield name[len(prefix):], copy.deepcopy(doc)


def ledger_of(service: Service, docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What became of every effect the service was asked about, for the audit; a failed
    one with the reason and recoverable flag it was answered with."""
    prefix = f"{service.value}/"
    return [{"order": name[len(prefix):], "effect": effect, "state": state,
             **doc.get("failures", {}).get(effect, {})}
            for name, doc in sorted(docs.items()) if name.startswith(prefix)
            for effect, state in doc.get("ledger", {}).items()]


class Participant(pykka.ThreadingActor):
    service: ClassVar[Service]
    effect_words: ClassVar[EffectWords]
    # Stored documents this participant owns besides its per-order ones, by name prefix.
    shared_prefixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def owned_prefixes(cls) -> tuple[str, ...]:
        """Every stored document this participant owns, by name prefix: only it writes them."""
        return (*cls.shared_prefixes, f"{cls.service.value}/")

    def __init__(self, storage: Any, scheduler: Scheduler, faults: FaultBook,
                 docs: dict[str, dict[str, Any]], latency_s: float,
                 crash: Callable[[str], None]) -> None:
        super().__init__()
        self._storage = storage
        self._scheduler = scheduler
        self._faults = faults
        self._docs = docs
        self._latency_s = latency_s
        self._crash = crash
        self._batch: CommitBatch | None = None

    def on_start(self) -> None:
        me = self.actor_ref.proxy()
        self._batch = CommitBatch(self._storage, me.send_to_storage.defer)

    # -- commands from the coordinator --------------------------------------
    def handle(self, key: IdempotencyKey, order: Order, reply_to: Any) -> None:
        """Apply (execute) or undo (compensate) the effect key names, at most once."""
        order_doc_name = f"{self.service.value}/{order.id}"
        order_doc = self._docs.setdefault(order_doc_name, {"ledger": {}})
        ledger: dict[str, str] = order_doc["ledger"]
        effect = effect_name(key)
        state = ledger.get(effect)
        repeated = (state is not None if key.action == Action.EXECUTE
                    else state in (COMPENSATED, FENCED, FAILED))
        # A repeated call still travels and may be lost; only a fresh one can fail as an operation.
        fault = self._faults.take(key, transport_only=repeated)
        writes = [self._faults.doc_name] if fault else []
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
            outcome = (Outcome(ok=False, reason=fault.reason, recoverable=fault.recoverable)
                       if fault is not None and fault.kind == FaultKind.ERROR
                       else self.apply(order, effect))
            # Failures are recorded too: a repeat is answered the same, never evaluated afresh.
            ledger[effect] = APPLIED if outcome.ok else FAILED
            if not outcome.ok:
                order_doc.setdefault("failures", {})[effect] = {
                    "reason": outcome.reason, "recoverable": outcome.recoverable}
        elif fault is not None and fault.kind == FaultKind.ERROR:
            # A failed compensation leaves the effect applied; it is asked again until it succeeds.
            self._answer(writes, reply_to, self._reply(key, False, fault.reason, fault.recoverable))
            return
        elif state == APPLIED:
            outcome = self.undo(order, effect)
            if outcome.ok:
                ledger[effect] = COMPENSATED
        else:
            # Nothing of this effect arrived yet: fence it so a late delivery is refused.
            ledger[effect] = FENCED
            outcome = Outcome(ok=True)
        writes += [order_doc_name, *outcome.changed]
        reply = self._reply(key, outcome.ok, outcome.reason, outcome.recoverable)
        self._answer(writes, reply_to, reply, lost=lost)

    def _recorded_reply(self, key: IdempotencyKey, order_doc: dict[str, Any],
                        state: str | None) -> ParticipantReply:
        """The answer the ledger gives a repeated command: the one it was given the first time.

        A compensation of an effect that failed, or that was fenced, has nothing to undo.
        """
        if key.action == Action.COMPENSATE or state in (APPLIED, COMPENSATED):
            return self._reply(key, True)
        if state == FAILED:
            failure = order_doc["failures"][effect_name(key)]
            return self._reply(key, False, failure["reason"], failure["recoverable"])
        return self._reply(key, False, "it was cancelled before it arrived")

    # -- what each service does ---------------------------------------------
    def apply(self, order: Order, effect: str) -> Outcome:
        raise NotImplementedError

    def undo(self, order: Order, effect: str) -> Outcome:
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

    @classmethod
    def report_of(cls, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The state these documents of the service hold, for the run report, as plain data:
        a function of the stored documents, so a database can be reported without actors."""
        raise NotImplementedError

    def report(self) -> dict[str, Any]:
        """This service's state for the run report, as plain data."""
        return self.report_of(self._docs)

    # -- plumbing -------------------------------------------------------------
    def _doc(self, name: str) -> dict[str, Any]:
        return self._docs[name]

    def _order_doc(self, order: Order) -> dict[str, Any]:
        """This service's own record of an order: its ledger and effects."""
        return self._docs[f"{self.service.value}/{order.id}"]

    @staticmethod
    def _reply(key: IdempotencyKey, ok: bool, reason: str = "", recoverable: bool = True) -> ParticipantReply:
        return ParticipantReply(key=key, ok=ok, reason="" if ok else reason, recoverable=recoverable)

    def _commit(self, names: list[str], then: Callable[[], None] | None) -> None:
        """Snapshot the named documents for the storage actor; then runs once they are durable.

        Commands that arrive together are committed in one message to the storage actor.
        """
        assert self._batch is not None
        self._batch.add([(name, self._faults.doc() if name == self._faults.doc_name
                          else copy_document(self._docs[name])) for name in names], then)

    def send_to_storage(self) -> None:
        """Hand the changes made since the last call to the storage actor in one message."""
        assert self._batch is not None
        self._batch.send()

    def _answer(self, names: list[str], reply_to: Any, reply: ParticipantReply, lost: bool = False) -> None:
        """Reply once the writes (and everything before them) are durable.

        A lost reply (an injected fault) is written all the same, and never sent.
        """
        if lost:
            self._commit(names, None)
            return

        def deliver() -> None:
            reply_to.on_reply.defer(reply)

        def after_durable() -> None:
            if self._latency_s > 0:
                self._scheduler.call_later(self._latency_s, deliver)
            else:
                deliver()

        self._commit(names, after_durable)

    def _acknowledge(self, names: list[str], message: str) -> pykka.ThreadingFuture[str]:
        """A future that resolves to message once the writes are durable (operator actions)."""
        done: pykka.ThreadingFuture[str] = pykka.ThreadingFuture()
        self._commit(names, lambda: done.set(message))
        return done
