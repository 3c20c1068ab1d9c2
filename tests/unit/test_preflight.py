"""The check before a retry: does the shortfall an order failed for look made up now?"""

from __future__ import annotations

import pytest

from actors import SAGA_PLAN, Supplies, cause_check
from actors.saga import rules as saga_logic
from actors.saga.domain import Item, Order, OrderRecord, ParticipantReply, RecoverablePolicy, now
from actors.saga.transitions import Transition

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=2, price_cents=500), Item(sku="MON", quantity=1, price_cents=0)))


def failed_at(step: str, shortfall: bool = True, recoverable: bool = True,
              policy: RecoverablePolicy = RecoverablePolicy.COMPENSATE) -> OrderRecord:
    """The order's record once step failed (and, under compensate, the steps before it were undone)."""
    t: Transition | None = saga_logic.begin_attempt(OrderRecord(order=ORDER, policy=policy), now())
    while t is not None and t.command is not None:
        key = t.command.key
        fails = key.step == step and key.action.value == "execute"
        reply = ParticipantReply(key=key, ok=not fails, reason="short" if fails else "",
                                 recoverable=recoverable, shortfall=shortfall and fails)
        t = saga_logic.apply_reply(t.record, reply, now())
    assert t is not None
    return t.record


def supplies(kb: int = 10, mon: int = 10, bob: int = 10_000) -> Supplies:
    return Supplies(stock={"KB": kb, "MON": mon}, balances={"bob": bob})


def test_a_payment_shortfall_is_resolved_once_the_balance_covers_the_total() -> None:
    record = failed_at("payment")
    short = cause_check(record, supplies(bob=999))
    assert short is not None and not short.resolved
    assert str(short) == "not resolved yet: balance $9.99, order $10.00"
    assert short.fix == "top up bob by at least $0.01"
    covered = cause_check(record, supplies(bob=1000))
    assert covered is not None and covered.resolved
    assert str(covered) == "cause resolved: balance $10.00 covers $10.00"


def test_an_inventory_shortfall_is_resolved_once_the_stock_covers_every_sku() -> None:
    record = failed_at("inventory")
    short = cause_check(record, supplies(kb=1, mon=0))
    assert short is not None and not short.resolved
    assert str(short) == "not resolved yet: stock 1 KB, order 2; 0 MON, order 1"
    assert short.fix == "restock KB by at least 1 and MON by at least 1"
    covered = cause_check(record, supplies(kb=2, mon=5))
    assert covered is not None and covered.resolved
    assert str(covered) == "cause resolved: stock 2 KB covers 2, 5 MON covers 1"


def test_a_held_order_is_judged_at_the_step_it_holds_at() -> None:
    held = failed_at("payment", policy=RecoverablePolicy.HOLD)
    check = cause_check(held, supplies(bob=0))
    assert check is not None and check.step == "payment" and not check.resolved


@pytest.mark.parametrize("record", [
    failed_at("payment", shortfall=False),  # an injected error: the engine cannot see its cause
    failed_at("payment", recoverable=False),  # a declined card: no retry at all
    failed_at("shipping"),  # a step with no remedy in the plan
    failed_at("nowhere"),  # completed
], ids=["injected", "not recoverable", "no remedy", "completed"])
def test_nothing_is_judged_where_the_engine_cannot_see_the_cause(record: OrderRecord) -> None:
    assert cause_check(record, supplies(kb=0, mon=0, bob=0)) is None


@pytest.mark.parametrize("step", [step.name for step in SAGA_PLAN if step.remedy])
def test_every_remedy_in_the_plan_is_judged(step: str) -> None:
    assert cause_check(failed_at(step), supplies()) is not None
