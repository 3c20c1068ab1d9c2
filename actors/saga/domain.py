"""Domain types shared by the actors, the storage and every front end: an order and its saga's
record (what a scenario file describes is in actors/saga/scenario.py).

Every type here is immutable: Pykka does not copy messages, so a mutable
message would be state shared between threads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from actors.saga import values
from actors.saga.limits import MAX_CENTS, MAX_UNITS
from actors.saga.values import format_cents as format_cents  # re-exported: its home was here

# The numbers an operator types, bounded by what one top-up or one restock may move.
QUANTITY = values.Whole("quantity", 1, MAX_UNITS, example="3")
AMOUNT = values.Money("amount", 1, MAX_CENTS, example="25.00")


class Frozen(BaseModel):
    """Base of all domain models: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Service(str, Enum):
    INVENTORY = "inventory"
    PAYMENT = "payment"
    SHIPPING = "shipping"


class Action(str, Enum):
    EXECUTE = "execute"
    COMPENSATE = "compensate"


class OperatorAction(str, Enum):
    """What an operator did, as an order's timeline records it (with who did it): never an
    idempotency key's action. A top-up or restock is told in the timeline of each order that
    waited on it."""

    EDIT = "edit"
    RETRY = "retry"
    CANCEL = "cancel"
    TOP_UP = "top_up"
    RESTOCK = "restock"


# The timeline's step for what an operator does to the order itself, not to one of its steps.
ORDER_STEP = "order"


class SagaStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPENSATING = "compensating"
    FAILED = "failed"
    ON_HOLD = "on_hold"
    # An operator cancelled it while on hold, and its kept steps are compensated.
    CANCELLED = "cancelled"

    @property
    def settled(self) -> bool:
        """A settled order waits for nobody but an operator."""
        return self in (SagaStatus.COMPLETED, SagaStatus.FAILED, SagaStatus.ON_HOLD, SagaStatus.CANCELLED)


class StepStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"


class Outcome(str, Enum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"
    COMPENSATED = "compensated"


class RecoverablePolicy(str, Enum):
    """What a recoverable failure does to the steps already done."""

    COMPENSATE = "compensate"
    HOLD = "hold"


class NotificationKind(str, Enum):
    CONFIRMATION = "confirmation"
    FAILURE = "failure"
    ON_HOLD = "on_hold"
    CORRECTION = "correction"
    CANCELLATION = "cancellation"


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError(f"must not be empty or only whitespace (got {text!r})")
    return text


def _typeable(name: str) -> str:
    """The rule a stored order id, customer or sku was written under (see STORED)."""
    _not_blank(name)
    if name != name.strip():
        raise ValueError(f"must not start or end with whitespace (got {name!r})")
    if not name.isprintable():
        raise ValueError(f"must be printable, without control characters (got {name!r})")
    return name


# Validation context of what is read back from a database: each stored value is held to the rule
# it was written under (an order id, customer or sku typeable, an address not blank), not to
# today's rule for what a person types, so that a database which opened before still opens.
STORED: dict[str, bool] = {"stored": True}


def _typed(rule: values.Text, stored: Callable[[str], str]) -> AfterValidator:
    def check(text: str, info: ValidationInfo) -> str:
        return stored(text) if info.context is not None and info.context.get("stored") else rule.check(text)
    return AfterValidator(check)


# Scenario data is checked strictly: "2" or true is not a number, 2 is not a name; and a typed
# value by the rule every door applies (actors/saga/values.py).
OrderId = Annotated[StrictStr, _typed(values.ORDER_ID, _typeable)]
Customer = Annotated[StrictStr, _typed(values.CUSTOMER, _typeable)]
Sku = Annotated[StrictStr, _typed(values.SKU, _typeable)]
ShipTo = Annotated[StrictStr, _typed(values.SHIP_TO, _not_blank)]
Quantity = Annotated[StrictInt, AfterValidator(QUANTITY.check)]


class Item(Frozen):
    sku: Sku
    quantity: Quantity
    price_cents: StrictInt = Field(ge=0, le=MAX_CENTS)


class Order(Frozen):
    id: OrderId
    customer: Customer
    ship_to: ShipTo
    items: tuple[Item, ...]
    # This order's policy for recoverable failures, where it differs from its scenario's.
    recoverable_failures: RecoverablePolicy | None = None

    @field_validator("items")
    @classmethod
    def _within_one_restock_and_one_top_up(cls, items: tuple[Item, ...]) -> tuple[Item, ...]:
        """Whatever stock or money the order lacks, one restock of each sku and one top-up can add."""
        if not items:
            raise ValueError("an order needs at least one item")
        units = _units_by_sku(items)
        problems = [f"the order's units of {sku} must be at most {MAX_UNITS:,} (got {count:,})"
                    for sku, count in units.items() if count > MAX_UNITS]
        total = sum(item.quantity * item.price_cents for item in items)
        if total > MAX_CENTS:
            problems.append(f"the order's total must be at most {format_cents(MAX_CENTS)} "
                            f"(got {format_cents(total)})")
        if problems:
            raise ValueError("; ".join(problems))
        return items

    @property
    def total_cents(self) -> int:
        return sum(item.quantity * item.price_cents for item in self.items)

    def units_by_sku(self) -> dict[str, int]:
        """The units of each sku, its lines added up: what a reservation holds and a restock must cover."""
        return _units_by_sku(self.items)


def _units_by_sku(items: tuple[Item, ...]) -> dict[str, int]:
    units: dict[str, int] = {}
    for item in items:
        units[item.sku] = units.get(item.sku, 0) + item.quantity
    return units


class Correction(Frozen):
    """An operator's correction of a failed or held order's input, which makes a new version
    of it: a new address, new quantities of its items, items removed; never a new sku.

    Skus and the order are checked here as typed values only: one that names nothing is
    refused by the saga rules (or the scenario check) with a sentence naming it.
    """

    order: OrderId
    ship_to: ShipTo | None = None
    quantity: dict[Sku, Quantity] = {}
    remove: tuple[Sku, ...] = ()

    @model_validator(mode="after")
    def _changes_something(self) -> Correction:
        if self.ship_to is None and not self.quantity and not self.remove:
            raise ValueError("an edit needs at least one of ship_to, quantity, remove")
        return self

    def describe(self) -> str:
        """What it asks for, e.g. 'ship to "2 Oak Ave", KEYBOARD quantity 1, remove MOUSE'."""
        asked = [f'ship to "{self.ship_to}"'] if self.ship_to is not None else []
        asked += [f"{sku} quantity {units}" for sku, units in self.quantity.items()]
        asked += [f"remove {sku}" for sku in self.remove]
        return ", ".join(asked)


class IdempotencyKey(Frozen):
    """Names one effect: a participant applies each key at most once."""

    order: str
    step: str
    attempt: int
    action: Action

    def __str__(self) -> str:
        return f"{self.order}/{self.step}/{self.attempt}/{self.action.value}"


class StepState(Frozen):
    name: str
    status: StepStatus = StepStatus.PENDING
    # The attempt whose execution holds this step's effect: a held order's
    # retry keeps earlier steps, so their compensation names that attempt.
    applied_in: int | None = None


class Failure(Frozen):
    step: str
    reason: str
    recoverable: bool
    # The participant lacked what the step needs (stock, money), so the plan's remedy
    # for the step resolves it; False for an injected error or a step never answered.
    shortfall: bool = False


class Attempt(Frozen):
    number: int
    steps: tuple[StepState, ...]
    # The version of the order it ran on (records from before versions ran on the only one).
    version: int = 1
    failure: Failure | None = None
    # The outcome of the failed step is unknown (no answer after every try),
    # so it is compensated too; its compensation is a no-op where nothing applied.
    uncertain_step: str | None = None
    # Set on a held attempt when a retry after a correction undoes its kept steps from
    # this one on (they no longer fit the order); the next attempt then starts here.
    redo_from: str | None = None

    def step(self, name: str) -> StepState:
        return next(s for s in self.steps if s.name == name)


class TimelineEvent(Frozen):
    at: datetime
    order: str
    attempt: int
    step: str  # a step of the plan, or ORDER_STEP for what an operator did to the order
    # Left to right: a step's action is tried first, so reading a long journal costs no more.
    action: Annotated[Action | OperatorAction, Field(union_mode="left_to_right")]
    outcome: Outcome
    reason: str = ""
    # Who did it, for an operator's action; None for the engine's own events (and for an
    # operator's edit recorded before ordersaga recorded who).
    by: str | None = None


class Notification(Frozen):
    at: datetime
    attempt: int
    kind: NotificationKind
    message: str


class OrderRecord(Frozen):
    """Everything the coordinator knows of one order's saga; persisted whole."""

    order: Order  # its current version: what the next attempt runs on
    # The order as it was before each operator correction, oldest first (version 1 first);
    # the current version's number is one more than their count.
    earlier_versions: tuple[Order, ...] = ()
    policy: RecoverablePolicy = RecoverablePolicy.COMPENSATE
    status: SagaStatus = SagaStatus.PENDING
    attempts: tuple[Attempt, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    notifications: tuple[Notification, ...] = ()
    cancelled: bool = False
    updated_at: datetime | None = None

    @property
    def version(self) -> int:
        """The current version's number: 1 until an operator corrects the order."""
        return len(self.earlier_versions) + 1

    @property
    def versions(self) -> tuple[Order, ...]:
        """Every version of the order, version 1 first."""
        return (*self.earlier_versions, self.order)

    def order_version(self, number: int) -> Order:
        """The order as version `number` (1 for the first) says it."""
        return self.versions[number - 1]

    @property
    def current_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def current_step(self) -> str | None:
        """The step being executed or compensated right now, if any."""
        attempt = self.current_attempt
        if attempt is None:
            return None
        for step in attempt.steps:
            if step.status in (StepStatus.RUNNING, StepStatus.COMPENSATING):
                return step.name
        return None

    @property
    def failure(self) -> Failure | None:
        attempt = self.current_attempt
        if attempt is None or self.status == SagaStatus.COMPLETED:
            return None
        return attempt.failure


class ParticipantReply(Frozen):
    """A participant's answer to one command, recorded under its key."""

    key: IdempotencyKey
    ok: bool
    reason: str = ""
    recoverable: bool = True
    shortfall: bool = False  # see Failure.shortfall


def now() -> datetime:
    return datetime.now(UTC)
