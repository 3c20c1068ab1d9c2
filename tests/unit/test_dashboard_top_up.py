"""What the top-up prompt starts from: what the customer's balance lacks, not the whole total."""

from __future__ import annotations

from datetime import datetime, timezone

from actors import Supplies
from actors.saga import rules as saga_logic
from actors.saga.domain import Item, Order, OrderRecord, ParticipantReply
from app.dashboard.wording import top_up_suggestion

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
ORDER = OrderRecord(order=Order(id="o-1", customer="bob", ship_to="1 Main St",
                                items=(Item(sku="KB", quantity=1, price_cents=4999),)))


def failed(reason: str, shortfall: bool) -> OrderRecord:
    started = saga_logic.begin_attempt(ORDER, AT)
    assert started.command is not None
    reply = ParticipantReply(key=started.command.key, ok=False, reason=reason, shortfall=shortfall)
    transition = saga_logic.apply_reply(started.record, reply, AT)
    assert transition is not None
    return transition.record


SHORT = failed("Insufficient funds: balance $10.00, order total $49.99", shortfall=True)


def test_the_balance_last_read_says_what_is_lacking() -> None:
    assert top_up_suggestion(SHORT, Supplies(stock={}, balances={"bob": 3500})) == 1499


def test_otherwise_the_total() -> None:
    assert top_up_suggestion(SHORT, None) == 4999  # no balances read yet
    assert top_up_suggestion(ORDER, None) == 4999
    assert top_up_suggestion(failed("Card declined by issuer", shortfall=False), None) == 4999
    assert top_up_suggestion(SHORT, Supplies(stock={}, balances={"bob": 6000})) == 4999  # covered now
