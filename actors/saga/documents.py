"""What the participants store and report, defined once: the participants write these
documents, the run report reads their reports, and the audit validates a snapshot against
these same types (pydantic checks a TypedDict's fields and Literals), trusting nothing.

Each participant keeps an OrderDocument per order: what became of every effect it was
asked about (its idempotency ledger), the answer each failed execution got, and its
effects by name, `<order>/<step>/<attempt>`. Inventory also keeps a StockLevel per sku,
payment an Account per customer. An effect's status words are its participant's
EffectWords (actors/participants/*.py), which mypy checks against the Literals here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypeVar, cast

# pydantic validates only typing_extensions' TypedDict before Python 3.12.
from typing_extensions import TypedDict

LedgerState = Literal["applied", "failed", "compensated", "fenced"]
ReservationStatus = Literal["held", "released"]
ChargeStatus = Literal["captured", "refunded"]
ShipmentStatus = Literal["created", "cancelled"]

StoredDocuments = Mapping[str, dict[str, Any]]  # JSON documents by full name, as storage holds them
D = TypeVar("D")


class FailedAnswer(TypedDict):
    """What a failed execution was answered: a repeat of its key is answered the same."""

    reason: str
    recoverable: bool
    shortfall: NotRequired[bool]  # the step lacked stock or money (absent: stored before it was told)


class Reservation(TypedDict):
    items: dict[str, int]  # units by sku
    status: ReservationStatus


class Charge(TypedDict):
    amount_cents: int
    status: ChargeStatus


class Shipment(TypedDict):
    address: str
    status: ShipmentStatus


class OrderDocument(TypedDict):
    """A participant's record of one order; each participant fills its own kind of effect."""

    ledger: dict[str, LedgerState]
    failures: NotRequired[dict[str, FailedAnswer]]
    reservations: NotRequired[dict[str, Reservation]]
    charges: NotRequired[dict[str, Charge]]
    shipments: NotRequired[dict[str, Shipment]]


class OperatorMark(TypedDict):
    """Who made a restock or top-up, when (ISO 8601), and the orders waiting on it then."""

    by: str
    at: str
    orders: list[str]


class StockLevel(TypedDict):
    initial: int
    available: int
    reserved: int
    restocks: dict[str, int]  # units by restock key
    # Who made each restock, by its key (absent: none was made since ordersaga recorded who).
    restocked_by: NotRequired[dict[str, OperatorMark]]


class Account(TypedDict):
    initial_cents: int
    balance_cents: int
    top_ups: dict[str, int]  # cents by top-up key
    topped_up_by: NotRequired[dict[str, OperatorMark]]  # who made each top-up, by its key


# -- the rows of the participants' reports ---------------------------------------
class LedgerRow(TypedDict):
    """One ledger entry; a failed one with the answer it was given."""

    order: str
    effect: str
    state: LedgerState
    reason: NotRequired[str]
    recoverable: NotRequired[bool]
    shortfall: NotRequired[bool]


class ReservationRow(Reservation):
    order: str
    effect: str


class ChargeRow(Charge):
    order: str
    effect: str


class ShipmentRow(Shipment):
    order: str
    effect: str


class InventoryReport(TypedDict):
    stock: dict[str, StockLevel]
    reservations: list[ReservationRow]
    ledger: list[LedgerRow]


class PaymentReport(TypedDict):
    accounts: dict[str, Account]
    charges: list[ChargeRow]
    ledger: list[LedgerRow]


class ShippingReport(TypedDict):
    shipments: list[ShipmentRow]
    ledger: list[LedgerRow]


def documents_under(docs: StoredDocuments, prefix: str, kind: type[D]) -> dict[str, D]:
    """The documents named under prefix, by the rest of their names, as the kind their
    participant wrote: it is their only writer, and the audit is what checks them."""
    return {name[len(prefix):]: cast(D, doc) for name, doc in docs.items() if name.startswith(prefix)}
