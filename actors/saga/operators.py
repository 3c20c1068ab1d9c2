"""Who did what: the operator an action is recorded under, and the credits (top-ups and
restocks) as the orders that waited on them tell of them.

A retry, cancel or edit is an operator event in the order's own timeline, written with the
transition it makes (actors/saga/retrying.py, corrections.py). A top-up or restock changes a participant's state,
not an order: its participant stores who made it and when beside the credit itself (an
`OperatorMark` under the credit's key), and each order waiting on it then gets an event in its
timeline saying so. The audit holds the two against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from actors.saga import values
from actors.saga.documents import OperatorMark
from actors.saga.domain import OperatorAction, OrderRecord, format_cents
from actors.saga.plan import Remedy, definition
from actors.saga.preflight import shortfall_remedy
from actors.saga.transitions import Transition, changed, operator_event

# Who a scenario's follow-ups (its `then` actions) act as: no operator may take the name.
SCENARIO = "scenario"


def operator(name: str) -> str:
    """name, if an operator may be recorded under it; BadValue says why not."""
    values.OPERATOR.check(name)
    if name == SCENARIO:
        raise values.BadValue(f"The operator must not be {SCENARIO!r}, which names a scenario's own "
                              "follow-ups in the timeline.")
    return name


# The credit each remedy is, and back.
CREDIT_OF: dict[Remedy, OperatorAction] = {Remedy.TOP_UP: OperatorAction.TOP_UP,
                                           Remedy.RESTOCK: OperatorAction.RESTOCK}


@dataclass(frozen=True)
class Credit:
    """One operator's top-up (cents to a customer) or restock (units of a sku)."""

    action: OperatorAction
    target: str
    amount: int
    by: str
    at: datetime

    def words(self) -> str:
        """What the order's timeline says of it: 'c01 topped up by $25.00'."""
        if self.action == OperatorAction.TOP_UP:
            return f"{self.target} topped up by {format_cents(self.amount)}"
        return f"{self.target} restocked by {self.amount:,}"

    def mark(self, orders: list[str]) -> OperatorMark:
        """Who made it, when, and for which orders: stored with the credit, in its transaction."""
        return {"by": self.by, "at": self.at.isoformat(), "orders": orders}


def waits_on(record: OrderRecord, credit: Credit) -> bool:
    """Whether the order failed or is held for want of what the credit adds (its remedy's
    shortfall of that customer's money or that sku's stock), so the credit is for it."""
    remedy = shortfall_remedy(record)
    failure = record.failure
    if remedy is None or failure is None or CREDIT_OF[remedy] != credit.action:
        return False
    return credit.target in definition(failure.step).rules.draws(record.order)


def credited(record: OrderRecord, credit: Credit) -> Transition:
    """Tell in the order's timeline of a top-up or restock made for it (see waits_on): under
    its current attempt, with who made it; nothing is sent."""
    event = operator_event(record, credit.at, credit.action, credit.by, credit.words())
    return Transition(changed(record, timeline=record.timeline + (event,), updated_at=credit.at))
