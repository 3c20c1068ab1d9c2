"""What a scenario file describes, as the engine takes it: the world, its faults, its follow-ups.

Immutable like every domain type (actors/saga/domain.py), and checked strictly when a
scenario file is read (app/scenario.py).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictInt, model_validator

from actors.saga.domain import (
    AMOUNT,
    Action,
    Correction,
    Customer,
    Frozen,
    IdempotencyKey,
    Order,
    OrderId,
    Quantity,
    RecoverablePolicy,
    Service,
    Sku,
)
from actors.saga.limits import MAX_BALANCE_CENTS, MAX_FAULT_TIMES, MAX_LATENCY_MS, MAX_STOCK_UNITS
from actors.saga.values import format_cents


class FaultKind(str, Enum):
    ERROR = "error"
    TIMEOUT = "timeout"
    LOST_REPLY = "lost_reply"
    CRASH = "crash"


class Fault(Frozen):
    """An injected failure: the next `times` matching calls misbehave."""

    service: Service
    action: Action = Action.EXECUTE
    order: OrderId | None = None
    kind: FaultKind = FaultKind.ERROR
    reason: str = "Injected fault"
    recoverable: StrictBool = True
    times: StrictInt = Field(default=1, ge=1, le=MAX_FAULT_TIMES)

    def matches(self, service: Service, key: IdempotencyKey) -> bool:
        return (self.service == service and self.action == key.action
                and (self.order is None or self.order == key.order))


class TopUp(Frozen):
    customer: Customer
    amount_cents: Annotated[StrictInt, AfterValidator(AMOUNT.check)]


class Restock(Frozen):
    sku: Sku
    quantity: Quantity


class ThenAction(Frozen):
    """One operator action a scenario applies after its orders settle."""

    top_up: TopUp | None = None
    restock: Restock | None = None
    retry: OrderId | None = None
    cancel: OrderId | None = None
    edit: Correction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ThenAction:
        chosen = [name for name in ("top_up", "restock", "retry", "cancel", "edit") if getattr(self, name)]
        if len(chosen) != 1:
            raise ValueError("each [[then]] entry needs exactly one of top_up, restock, retry, cancel, edit")
        return self

    def describe(self) -> str:
        if self.top_up:
            return f"top up {self.top_up.customer} by {format_cents(self.top_up.amount_cents)}"
        if self.restock:
            return f"restock {self.restock.sku} by {self.restock.quantity}"
        if self.retry:
            return f"retry {self.retry}"
        if self.edit:
            return f"edit {self.edit.order} ({self.edit.describe()})"
        return f"cancel {self.cancel}"


class Scenario(Frozen):
    """A world to run: stock, accounts, orders, injected faults and follow-ups."""

    name: str
    description: str = ""
    recoverable_failures: RecoverablePolicy = RecoverablePolicy.COMPENSATE
    latency_ms: dict[Service, Annotated[StrictInt, Field(ge=0, le=MAX_LATENCY_MS)]] = {}
    stock: dict[Sku, Annotated[StrictInt, Field(ge=0, le=MAX_STOCK_UNITS)]] = {}
    accounts: dict[Customer, Annotated[StrictInt, Field(ge=0, le=MAX_BALANCE_CENTS)]] = {}
    orders: tuple[Order, ...] = ()
    faults: tuple[Fault, ...] = ()
    then: tuple[ThenAction, ...] = ()
