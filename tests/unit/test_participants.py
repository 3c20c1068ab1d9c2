"""One participant at a time: idempotency, fencing, injected faults, no effect on failure."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pykka
import pytest

from actors.saga.domain import (
    Action,
    Fault,
    FaultKind,
    IdempotencyKey,
    Item,
    Order,
    ParticipantReply,
    Service,
)
from actors.embedded.participants.base import Participant
from actors.saga.faults import FaultBook
from actors.embedded.documents import account_doc, owned_prefixes, stock_doc
from actors.embedded.participants.inventory import InventoryService
from actors.embedded.participants.payment import PaymentService
from actors.embedded.scheduler import Scheduler
from actors.embedded.storage_actor import StorageActor
from storage.store import DocumentStore

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=2, price_cents=1500),))
PROBE = ORDER.model_copy(update={"id": "o-probe"})


class Replies(pykka.ThreadingActor):
    """Stands in for the coordinator: collects the replies it is sent."""

    def __init__(self, inbox: queue.Queue[ParticipantReply]) -> None:
        super().__init__()
        self.inbox = inbox

    def on_replies(self, replies: Sequence[ParticipantReply]) -> None:
        for reply in replies:
            self.inbox.put(reply)


class Harness:
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
        return self.inbox.get(timeout=5)

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


HarnessFactory = Callable[..., Harness]


@pytest.fixture
def start() -> Iterator[HarnessFactory]:
    """Start a participant on a store seeded with docs: in memory, or in the file at path."""
    scheduler = Scheduler()

    def start(actor_class: type[Participant], docs: dict[str, Any], faults: tuple[Fault, ...] = (),
              path: Path | None = None) -> Harness:
        store = DocumentStore(path)
        for name, doc in docs.items():
            store.put(name, doc)
        store.flush()
        return Harness(actor_class, store, faults, scheduler)

    yield start
    scheduler.stop()
    pykka.ActorRegistry.stop_all()


@pytest.fixture
def inventory(request: pytest.FixtureRequest, start: HarnessFactory) -> Harness:
    return start(InventoryService, {"stock/KB": stock_doc(3)}, getattr(request, "param", ()))


@pytest.fixture
def payment(request: pytest.FixtureRequest, start: HarnessFactory) -> Harness:
    return start(PaymentService, {"account/bob": account_doc(10000)}, getattr(request, "param", ()))


def test_a_repeated_reserve_is_answered_from_the_ledger_and_applied_once(inventory: Harness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.send(Action.EXECUTE)
    assert inventory.reply().ok and inventory.reply().ok
    assert inventory.state()["stock"]["KB"]["available"] == 1
    assert inventory.state()["stock"]["KB"]["reserved"] == 2


def test_a_reserve_beyond_stock_fails_with_the_numbers_and_leaves_no_effect(inventory: Harness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.reply()
    inventory.send(Action.EXECUTE, attempt=2)
    reply = inventory.reply()
    assert not reply.ok and reply.recoverable and reply.shortfall  # a restock resolves it
    assert reply.reason == "Not enough stock of KB: wanted 2, available 1"
    assert inventory.state()["stock"]["KB"] == {"initial": 3, "available": 1, "reserved": 2, "restocks": {}}


def test_a_compensation_is_applied_once_however_often_it_is_asked(inventory: Harness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.reply()
    for _ in range(3):
        inventory.send(Action.COMPENSATE)
        assert inventory.reply().ok
    assert inventory.state()["stock"]["KB"]["available"] == 3


def test_a_compensation_that_arrives_first_fences_the_late_execution(inventory: Harness) -> None:
    inventory.send(Action.COMPENSATE)
    assert inventory.reply().ok
    inventory.send(Action.EXECUTE)
    late = inventory.reply()
    assert not late.ok and "cancelled before it arrived" in late.reason
    assert inventory.state()["stock"]["KB"]["available"] == 3


@pytest.mark.parametrize("payment", [(Fault(service=Service.PAYMENT, kind=FaultKind.LOST_REPLY),)],
                         indirect=True)
def test_a_lost_reply_keeps_the_charge_and_the_repeat_does_not_charge_again(payment: Harness) -> None:
    payment.send(Action.EXECUTE)
    assert payment.no_reply()
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 7000
    payment.send(Action.EXECUTE)
    assert payment.reply().ok
    state = payment.state()
    assert state["accounts"]["bob"]["balance_cents"] == 7000
    assert [c["status"] for c in state["charges"]] == ["captured"]


@pytest.mark.parametrize("payment", [(Fault(service=Service.PAYMENT, kind=FaultKind.TIMEOUT),)],
                         indirect=True)
def test_a_timed_out_call_has_no_effect_until_asked_again(payment: Harness) -> None:
    payment.send(Action.EXECUTE)
    assert payment.no_reply()
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10000
    payment.send(Action.EXECUTE)
    assert payment.reply().ok
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 7000


@pytest.mark.parametrize("payment", [(Fault(service=Service.PAYMENT, action=Action.COMPENSATE,
                                            reason="Gateway down", times=2),)], indirect=True)
def test_a_failing_refund_keeps_the_charge_until_a_later_try_succeeds(payment: Harness) -> None:
    payment.send(Action.EXECUTE)
    payment.reply()
    for _ in range(2):
        payment.send(Action.COMPENSATE)
        reply = payment.reply()
        assert (reply.ok, reply.reason) == (False, "Gateway down")
        assert payment.state()["charges"][0]["status"] == "captured"
    payment.send(Action.COMPENSATE)
    assert payment.reply().ok
    assert payment.state()["charges"][0]["status"] == "refunded"
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10000


def test_insufficient_funds_names_balance_and_total(payment: Harness) -> None:
    payment.service.top_up("bob", 1, "k").get().get()
    big = ORDER.model_copy(update={"items": (Item(sku="KB", quantity=10, price_cents=1500),)})
    key = IdempotencyKey(order=big.id, step="payment", attempt=1, action=Action.EXECUTE)
    payment.service.execute_or_compensate.defer(key, big, payment.replies)
    reply = payment.reply()
    assert reply.reason == "Insufficient funds: balance $100.01, order total $150.00"
    assert payment.state()["charges"] == []


def test_a_top_up_with_the_same_key_is_credited_once(payment: Harness) -> None:
    for _ in range(2):
        payment.service.top_up("bob", 500, "then/0").get().get()
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10500


DECLINE = Fault(service=Service.PAYMENT, reason="Card declined by issuer", recoverable=False)
DECLINED_ENTRY = {"order": "o-1", "effect": "o-1/payment/1", "state": "failed",
                  "reason": "Card declined by issuer", "recoverable": False, "shortfall": False}


@pytest.mark.parametrize("payment", [(DECLINE,)], indirect=True)
def test_a_repeated_charge_after_a_decline_is_declined_again_though_the_fault_is_used_up(
        payment: Harness) -> None:
    payment.send(Action.EXECUTE)
    first = payment.reply()
    assert (first.ok, first.reason, first.recoverable, first.shortfall) == (
        False, "Card declined by issuer", False, False)
    payment.send(Action.EXECUTE)
    assert payment.reply() == first
    state = payment.state()
    assert state["charges"] == [] and state["accounts"]["bob"]["balance_cents"] == 10000
    assert state["ledger"] == [DECLINED_ENTRY]
    payment.send(Action.EXECUTE, attempt=2)  # a retry is a new attempt, evaluated afresh
    assert payment.reply().ok
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 7000


def test_a_decline_is_answered_the_same_by_the_participant_restarted_from_its_file(
        start: HarnessFactory, tmp_path: Path) -> None:
    path = tmp_path / "payment.db"
    payment = start(PaymentService, {"account/bob": account_doc(10000)}, (DECLINE,), path)
    payment.send(Action.EXECUTE)
    first = payment.reply()
    payment.restart(path)
    payment.send(Action.EXECUTE)
    assert payment.reply() == first
    state = payment.state()
    assert state["charges"] == [] and state["accounts"]["bob"]["balance_cents"] == 10000
    assert state["ledger"] == [DECLINED_ENTRY]


def test_insufficient_funds_stays_the_answer_to_its_key_after_a_top_up(payment: Harness) -> None:
    big = ORDER.model_copy(update={"items": (Item(sku="KB", quantity=10, price_cents=1500),)})
    payment.send(Action.EXECUTE, order=big)
    first = payment.reply()
    assert first.reason == "Insufficient funds: balance $100.00, order total $150.00"
    assert first.shortfall  # a top-up resolves it; a repeat of the key is still answered so
    payment.service.top_up("bob", 10000, "k").get().get()
    payment.send(Action.EXECUTE, order=big)
    assert payment.reply() == first
    payment.send(Action.EXECUTE, attempt=2, order=big)  # the retry after the top-up
    assert payment.reply().ok
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 5000


@pytest.mark.parametrize("payment", [(DECLINE,)], indirect=True)
def test_compensating_a_declined_charge_undoes_nothing_and_the_decline_stands(payment: Harness) -> None:
    payment.send(Action.EXECUTE)
    first = payment.reply()
    for _ in range(2):  # as after an execution that got no answer in time
        payment.send(Action.COMPENSATE)
        assert payment.reply().ok
    payment.send(Action.EXECUTE)
    assert payment.reply() == first
    state = payment.state()
    assert state["charges"] == [] and state["accounts"]["bob"]["balance_cents"] == 10000
    assert state["ledger"] == [DECLINED_ENTRY]
