"""One participant at a time: idempotency, fencing, injected faults, no effect on failure."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pykka
import pytest

from actors.domain import (
    Action,
    Fault,
    FaultKind,
    IdempotencyKey,
    Item,
    Order,
    ParticipantReply,
    Service,
)
from actors.participants.faults import FaultBook
from actors.participants.inventory import InventoryService, stock_doc
from actors.participants.payment import PaymentService, account_doc
from actors.scheduler import Scheduler
from actors.storage_actor import StorageActor
from storage.store import SagaStore

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=2, price_cents=1500),))


class Replies(pykka.ThreadingActor):
    """Stands in for the coordinator: collects the replies it is sent."""

    def __init__(self, inbox: queue.Queue[ParticipantReply]) -> None:
        super().__init__()
        self.inbox = inbox

    def on_reply(self, reply: ParticipantReply) -> None:
        self.inbox.put(reply)


class Harness:
    def __init__(self, service: Any, step: str, inbox: queue.Queue[ParticipantReply], replies: Any) -> None:
        self.service, self.step, self.inbox, self.replies = service, step, inbox, replies

    def send(self, action: Action, attempt: int = 1) -> None:
        key = IdempotencyKey(order=ORDER.id, step=self.step, attempt=attempt, action=action)
        self.service.handle.defer(key, ORDER, self.replies)

    def reply(self) -> ParticipantReply:
        return self.inbox.get(timeout=5)

    def no_reply(self) -> bool:
        self.service.report().get()  # the mailbox has drained
        try:
            self.inbox.get(timeout=0.1)
        except queue.Empty:
            return True
        return False

    def state(self) -> dict[str, Any]:
        return self.service.report().get()


def _start(actor_class: type, docs: dict[str, Any], faults: tuple[Fault, ...]) -> Iterator[Harness]:
    scheduler = Scheduler()
    storage = StorageActor.start(SagaStore(None)).proxy()
    inbox: queue.Queue[ParticipantReply] = queue.Queue()
    replies = Replies.start(inbox).proxy()
    service = actor_class.service
    proxy = actor_class.start(storage, scheduler, FaultBook(service, faults, None), docs, 0.0,
                              lambda where: None).proxy()
    yield Harness(proxy, service.value, inbox, replies)
    scheduler.stop()
    pykka.ActorRegistry.stop_all()


@pytest.fixture
def inventory(request: pytest.FixtureRequest) -> Iterator[Harness]:
    faults = getattr(request, "param", ())
    yield from _start(InventoryService, {"stock/KB": stock_doc(3)}, faults)


@pytest.fixture
def payment(request: pytest.FixtureRequest) -> Iterator[Harness]:
    faults = getattr(request, "param", ())
    yield from _start(PaymentService, {"account/bob": account_doc(10000)}, faults)


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
    assert not reply.ok and reply.recoverable
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
    payment.service.handle.defer(key, big, payment.replies)
    reply = payment.reply()
    assert reply.reason == "Insufficient funds: balance $100.01, order total $150.00"
    assert payment.state()["charges"] == []


def test_a_top_up_with_the_same_key_is_credited_once(payment: Harness) -> None:
    for _ in range(2):
        payment.service.top_up("bob", 500, "then/0").get().get()
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10500
