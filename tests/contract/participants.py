"""A participant of either runtime, driven one command at a time, for the ledger's contract:
the embedded actor on its own store with a stand-in coordinator, or the PostgreSQL
runtime's effect carried out in a transaction of its own on a database no worker serves."""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pykka

from actors.embedded.documents import owned_prefixes
from actors.embedded.participants.base import Participant
from actors.embedded.scheduler import Scheduler
from actors.embedded.storage_actor import StorageActor
from actors.saga.documents import OperatorMark
from actors.saga.domain import Action, IdempotencyKey, Item, Order, ParticipantReply, Service, now
from actors.saga.faults import FaultBook
from actors.saga.scenario import Fault, Scenario
from storage.store import DocumentStore

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=2, price_cents=1500),))
PROBE = ORDER.model_copy(update={"id": "o-probe"})
STOCK, BALANCE = 3, 10000


class Replies(pykka.ThreadingActor):
    """Stands in for the coordinator: collects the replies it is sent."""

    def __init__(self, inbox: queue.Queue[ParticipantReply]) -> None:
        super().__init__()
        self.inbox = inbox

    def on_replies(self, replies: Sequence[ParticipantReply]) -> None:
        for reply in replies:
            self.inbox.put(reply)


class Harness:  # the embedded runtime's participant actor
    """One participant on its own storage, with a stand-in coordinator."""

    def __init__(self, actor_class: type[Participant], store: DocumentStore, faults: tuple[Fault, ...],
                 scheduler: Scheduler) -> None:
        self.actor_class, self.faults, self.scheduler = actor_class, faults, scheduler
        self.step = actor_class.service.value
        self.inbox: queue.Queue[ParticipantReply] = queue.Queue()
        self.replies = Replies.start(self.inbox).proxy()
        self._open(store)

    def _open(self, store: DocumentStore) -> None:
        """Start the participant on the documents and fault firings the store holds, as an engine does."""
        service = self.actor_class.service
        docs = {prefix + key: doc for prefix in owned_prefixes(service)
                for key, doc in store.docs(prefix).items()}
        remaining = (store.get(f"faults/{service.value}") or {}).get("remaining")
        self._storage = StorageActor.start(store)
        self._participant = self.actor_class.start(
            self._storage.proxy(), self.scheduler, FaultBook(service, self.faults, remaining), docs,
            0.0, lambda where: None)
        self.service = self._participant.proxy()

    def restart(self, path: Path) -> None:
        """Stop the participant and its storage (which closes the file), then start them again
        from what the file holds: everything of the first life not made durable is gone."""
        self._participant.stop()
        self._storage.stop()
        self._open(DocumentStore(path, create=False))

    def send(self, action: Action, attempt: int = 1, order: Order = ORDER) -> None:
        key = IdempotencyKey(order=order.id, step=self.step, attempt=attempt, action=action)
        self.service.execute_or_compensate.defer(key, order, self.replies)

    def reply(self) -> ParticipantReply:
        return self.inbox.get(timeout=30)  # a bound, not a pace: replies come in milliseconds

    def no_reply(self) -> bool:
        """Whether the commands sent so far went unanswered, proven without waiting for time
        to pass: replies travel in the order their commands were handled (the participant has
        no latency here), so a probe sent now whose reply is the next to arrive shows that no
        earlier reply is on its way. The probe fences a compensation of another order, which
        changes no stock, balance or charge, and no fault of these tests aims at it."""
        probe = IdempotencyKey(order=PROBE.id, step=self.step, attempt=1, action=Action.COMPENSATE)
        self.service.execute_or_compensate.defer(probe, PROBE, self.replies)
        return self.reply().key == probe

    def state(self) -> dict[str, Any]:
        return self.service.report().get()

    def top_up(self, customer: str, cents: int, key: str) -> str:
        mark: OperatorMark = {"by": "ann", "at": now().isoformat(), "orders": []}
        answer, _ = self.service.top_up(customer, cents, key, mark).get().get()
        return str(answer)


class PostgresHarness:
    """The PostgreSQL runtime's participant: each command one transaction of effects.carry_out."""

    def __init__(self, url: str, service: Service, faults: tuple[Fault, ...]) -> None:
        from actors import create_database
        from actors.postgres.store import engine_for

        self.url, self.step, self.faults = url, service.value, faults
        self._replies: list[ParticipantReply] = []
        create_database(url, Scenario(name="ledger", stock={"KB": STOCK}, accounts={"bob": BALANCE},
                                      orders=(ORDER, PROBE), faults=faults), replace=True)
        self.db = engine_for(url)

    def send(self, action: Action, attempt: int = 1, order: Order = ORDER) -> None:
        from actors.postgres.effects import carry_out

        key = IdempotencyKey(order=order.id, step=self.step, attempt=attempt, action=action)
        with self.db.begin() as connection:
            done = carry_out(connection, key, order, self.faults)
        if done.reply is not None:
            self._replies.append(done.reply)

    def reply(self) -> ParticipantReply:
        return self._replies.pop(0)

    def no_reply(self) -> bool:
        """Each command is carried out before send returns: none came if none is here."""
        return not self._replies

    def state(self) -> dict[str, Any]:
        from actors import read_snapshot

        snapshot = read_snapshot(self.url)
        return dict({"inventory": snapshot.inventory, "payment": snapshot.payment}[self.step])

    def top_up(self, customer: str, cents: int, key: str) -> str:
        from actors import open_engine

        with open_engine(self.url) as engine:
            return engine.top_up(customer, cents, key)

    def close(self) -> None:
        self.db.dispose()


AnyHarness = Harness | PostgresHarness
HarnessFactory = Callable[..., AnyHarness]
