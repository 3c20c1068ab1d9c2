"""The idempotency ledger's contract, on both runtimes: a command is applied at most once,
a repeat is answered what it was answered the first time (reason and shortfall
included), a compensation that arrives first fences the late execution, and a failed
execution compensated undoes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.saga.domain import Action, Item, Service
from actors.saga.scenario import Fault, FaultKind
from tests.contract.participants import ORDER, AnyHarness, Harness, HarnessFactory


@pytest.fixture
def inventory(request: pytest.FixtureRequest, start: HarnessFactory) -> AnyHarness:
    return start(Service.INVENTORY, getattr(request, "param", ()))


@pytest.fixture
def payment(request: pytest.FixtureRequest, start: HarnessFactory) -> AnyHarness:
    return start(Service.PAYMENT, getattr(request, "param", ()))


def test_a_repeated_reserve_is_answered_from_the_ledger_and_applied_once(inventory: AnyHarness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.send(Action.EXECUTE)
    assert inventory.reply().ok and inventory.reply().ok
    assert inventory.state()["stock"]["KB"]["available"] == 1
    assert inventory.state()["stock"]["KB"]["reserved"] == 2


def test_a_reserve_beyond_stock_fails_with_the_numbers_and_leaves_no_effect(inventory: AnyHarness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.reply()
    inventory.send(Action.EXECUTE, attempt=2)
    reply = inventory.reply()
    assert not reply.ok and reply.recoverable and reply.shortfall  # a restock resolves it
    assert reply.reason == "Not enough stock of KB: wanted 2, available 1"
    assert inventory.state()["stock"]["KB"] == {"initial": 3, "available": 1, "reserved": 2, "restocks": {}}


def test_a_compensation_is_applied_once_however_often_it_is_asked(inventory: AnyHarness) -> None:
    inventory.send(Action.EXECUTE)
    inventory.reply()
    for _ in range(3):
        inventory.send(Action.COMPENSATE)
        assert inventory.reply().ok
    assert inventory.state()["stock"]["KB"]["available"] == 3


def test_a_compensation_that_arrives_first_fences_the_late_execution(inventory: AnyHarness) -> None:
    inventory.send(Action.COMPENSATE)
    assert inventory.reply().ok
    inventory.send(Action.EXECUTE)
    late = inventory.reply()
    assert not late.ok and "cancelled before it arrived" in late.reason
    assert inventory.state()["stock"]["KB"]["available"] == 3


@pytest.mark.parametrize("payment", [(Fault(service=Service.PAYMENT, kind=FaultKind.LOST_REPLY),)],
                         indirect=True)
def test_a_lost_reply_keeps_the_charge_and_the_repeat_does_not_charge_again(payment: AnyHarness) -> None:
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
def test_a_timed_out_call_has_no_effect_until_asked_again(payment: AnyHarness) -> None:
    payment.send(Action.EXECUTE)
    assert payment.no_reply()
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10000
    payment.send(Action.EXECUTE)
    assert payment.reply().ok
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 7000


@pytest.mark.parametrize("payment", [(Fault(service=Service.PAYMENT, action=Action.COMPENSATE,
                                            reason="Gateway down", times=2),)], indirect=True)
def test_a_failing_refund_keeps_the_charge_until_a_later_try_succeeds(payment: AnyHarness) -> None:
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


def test_insufficient_funds_names_balance_and_total(payment: AnyHarness) -> None:
    payment.top_up("bob", 1, "k")
    big = ORDER.model_copy(update={"items": (Item(sku="KB", quantity=10, price_cents=1500),)})
    payment.send(Action.EXECUTE, order=big)
    reply = payment.reply()
    assert reply.reason == "Insufficient funds: balance $100.01, order total $150.00"
    assert payment.state()["charges"] == []


def test_a_top_up_with_the_same_key_is_credited_once(payment: AnyHarness) -> None:
    for _ in range(2):
        payment.top_up("bob", 500, "then/0")
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 10500


DECLINE = Fault(service=Service.PAYMENT, reason="Card declined by issuer", recoverable=False)
DECLINED_ENTRY = {"order": "o-1", "effect": "o-1/payment/1", "state": "failed",
                  "reason": "Card declined by issuer", "recoverable": False, "shortfall": False}


@pytest.mark.parametrize("payment", [(DECLINE,)], indirect=True)
def test_a_repeated_charge_after_a_decline_is_declined_again_though_the_fault_is_used_up(
        payment: AnyHarness) -> None:
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
    """On PostgreSQL every command is a transaction of its own: the restart is the next one."""
    path = tmp_path / "payment.db"
    payment = start(Service.PAYMENT, (DECLINE,), path)
    payment.send(Action.EXECUTE)
    first = payment.reply()
    if isinstance(payment, Harness):
        payment.restart(path)
    payment.send(Action.EXECUTE)
    assert payment.reply() == first
    state = payment.state()
    assert state["charges"] == [] and state["accounts"]["bob"]["balance_cents"] == 10000
    assert state["ledger"] == [DECLINED_ENTRY]


def test_insufficient_funds_stays_the_answer_to_its_key_after_a_top_up(payment: AnyHarness) -> None:
    big = ORDER.model_copy(update={"items": (Item(sku="KB", quantity=10, price_cents=1500),)})
    payment.send(Action.EXECUTE, order=big)
    first = payment.reply()
    assert first.reason == "Insufficient funds: balance $100.00, order total $150.00"
    assert first.shortfall  # a top-up resolves it; a repeat of the key is still answered so
    payment.top_up("bob", 10000, "k")
    payment.send(Action.EXECUTE, order=big)
    assert payment.reply() == first
    payment.send(Action.EXECUTE, attempt=2, order=big)  # the retry after the top-up
    assert payment.reply().ok
    assert payment.state()["accounts"]["bob"]["balance_cents"] == 5000


@pytest.mark.parametrize("payment", [(DECLINE,)], indirect=True)
def test_compensating_a_declined_charge_undoes_nothing_and_the_decline_stands(payment: AnyHarness) -> None:
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
