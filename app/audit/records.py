"""The participants' records, read from a snapshot into checked, typed form.

The audit trusts nothing it reads: a document that does not have the shape a
participant writes makes the whole audit impossible, and says where.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from actors import SAGA_PLAN, EffectWords, WorldSnapshot


class AuditError(Exception):
    """The snapshot's records cannot be audited; the message says which and why."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reservation(_Record):
    order: str
    effect: str
    items: dict[str, int]
    status: Literal["held", "released"]


class Charge(_Record):
    order: str
    effect: str
    amount_cents: int
    status: Literal["captured", "refunded"]


class Shipment(_Record):
    order: str
    effect: str
    address: str
    status: Literal["created", "cancelled"]


class LedgerEntry(_Record):
    order: str
    effect: str
    state: Literal["applied", "failed", "compensated", "fenced"]
    reason: str = ""  # what a failed execution was answered, as is every repeat of its key


class StockLevel(_Record):
    initial: int
    available: int
    reserved: int
    restocks: dict[str, int]


class Account(_Record):
    initial_cents: int
    balance_cents: int
    top_ups: dict[str, int]


class InventoryRecords(_Record):
    stock: dict[str, StockLevel]
    reservations: list[Reservation]
    ledger: list[LedgerEntry]


class PaymentRecords(_Record):
    accounts: dict[str, Account]
    charges: list[Charge]
    ledger: list[LedgerEntry]


class ShippingRecords(_Record):
    shipments: list[Shipment]
    ledger: list[LedgerEntry]


# Per saga step: how its participant names its effect, live and undone (from the plan).
EFFECT_KINDS: dict[str, EffectWords] = {step.name: step.effect for step in SAGA_PLAN}


@dataclass(frozen=True)
class Effect:
    step: str
    key: str  # "<order>/<step>/<attempt>", as the participant names it
    live: bool
    reservation: Reservation | None = None
    charge: Charge | None = None
    shipment: Shipment | None = None


@dataclass
class OrderEffects:
    """One order's effects and ledger entries, across all participants."""

    effects: dict[tuple[str, str], Effect] = field(default_factory=dict)  # (step, key) ->
    ledger: dict[tuple[str, str], str] = field(default_factory=dict)      # (step, key) -> state
    failure_reasons: dict[tuple[str, str], str] = field(default_factory=dict)  # of failed entries


@dataclass(frozen=True)
class ParticipantRecords:
    inventory: InventoryRecords
    payment: PaymentRecords
    by_order: dict[str, OrderEffects]


def _validate(model: type[_Record], data: Any, service: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "its report"
        raise AuditError(f"The {service} records cannot be audited: {where}: "
                         f"{first['msg'][0].lower()}{first['msg'][1:]}.") from None


def read_records(snapshot: WorldSnapshot) -> ParticipantRecords:
    inventory: InventoryRecords = _validate(InventoryRecords, snapshot.inventory, "inventory")
    payment: PaymentRecords = _validate(PaymentRecords, snapshot.payment, "payment")
    shipping: ShippingRecords = _validate(ShippingRecords, snapshot.shipping, "shipping")
    by_order: dict[str, OrderEffects] = defaultdict(OrderEffects)
    for r in inventory.reservations:
        by_order[r.order].effects["inventory", r.effect] = Effect(
            "inventory", r.effect, r.status == "held", reservation=r)
    for c in payment.charges:
        by_order[c.order].effects["payment", c.effect] = Effect(
            "payment", c.effect, c.status == "captured", charge=c)
    for s in shipping.shipments:
        by_order[s.order].effects["shipping", s.effect] = Effect(
            "shipping", s.effect, s.status == "created", shipment=s)
    for step, ledger in (("inventory", inventory.ledger), ("payment", payment.ledger),
                         ("shipping", shipping.ledger)):
        for entry in ledger:
            by_order[entry.order].ledger[step, entry.effect] = entry.state
            if entry.state == "failed":
                by_order[entry.order].failure_reasons[step, entry.effect] = entry.reason
    return ParticipantRecords(inventory=inventory, payment=payment, by_order=dict(by_order))
