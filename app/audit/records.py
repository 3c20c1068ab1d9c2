"""The participants' records, read from a snapshot into checked, typed form.

The audit trusts nothing it reads: each participant's report is validated against the
types the participants write it as, and one that does not have that shape makes the
whole audit impossible, and says where.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from actors import (SAGA_PLAN, ChargeRow, EffectWords, ShipmentRow, InventoryReport, LedgerState, PaymentReport,
                    ReservationRow, ShippingReport, WorldSnapshot)

R = TypeVar("R")


class AuditError(Exception):
    """The snapshot's records cannot be audited; the message says which and why."""


_INVENTORY = TypeAdapter(InventoryReport)
_PAYMENT = TypeAdapter(PaymentReport)
_SHIPPING = TypeAdapter(ShippingReport)


# Per saga step: how its participant names its effect, live and undone (from the plan).
EFFECT_KINDS: dict[str, EffectWords[str]] = {step.name: step.effect for step in SAGA_PLAN}


@dataclass(frozen=True)
class Effect:
    step: str
    key: str  # "<order>/<step>/<attempt>", as the participant names it
    live: bool
    reservation: ReservationRow | None = None
    charge: ChargeRow | None = None
    shipment: ShipmentRow | None = None


@dataclass
class OrderEffects:
    """One order's effects and ledger entries, across all participants."""

    effects: dict[tuple[str, str], Effect] = field(default_factory=dict)  # (step, key) ->
    ledger: dict[tuple[str, str], LedgerState] = field(default_factory=dict)  # (step, key) ->
    failure_reasons: dict[tuple[str, str], str] = field(default_factory=dict)  # of failed entries


@dataclass(frozen=True)
class ParticipantRecords:
    inventory: InventoryReport
    payment: PaymentReport
    by_order: dict[str, OrderEffects]


def _validate(adapter: TypeAdapter[R], data: object, service: str) -> R:
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "its report"
        raise AuditError(f"The {service} records cannot be audited: {where}: "
                         f"{first['msg'][0].lower()}{first['msg'][1:]}.") from None


def read_records(snapshot: WorldSnapshot) -> ParticipantRecords:
    inventory = _validate(_INVENTORY, snapshot.inventory, "inventory")
    payment = _validate(_PAYMENT, snapshot.payment, "payment")
    shipping = _validate(_SHIPPING, snapshot.shipping, "shipping")
    held, captured, created = (EFFECT_KINDS[step].live for step in ("inventory", "payment", "shipping"))
    by_order: dict[str, OrderEffects] = defaultdict(OrderEffects)
    for r in inventory["reservations"]:
        by_order[r["order"]].effects["inventory", r["effect"]] = Effect(
            "inventory", r["effect"], r["status"] == held, reservation=r)
    for c in payment["charges"]:
        by_order[c["order"]].effects["payment", c["effect"]] = Effect(
            "payment", c["effect"], c["status"] == captured, charge=c)
    for s in shipping["shipments"]:
        by_order[s["order"]].effects["shipping", s["effect"]] = Effect(
            "shipping", s["effect"], s["status"] == created, shipment=s)
    for step, ledger in (("inventory", inventory["ledger"]), ("payment", payment["ledger"]),
                         ("shipping", shipping["ledger"])):
        for entry in ledger:
            by_order[entry["order"]].ledger[step, entry["effect"]] = entry["state"]
            if entry["state"] == "failed":
                by_order[entry["order"]].failure_reasons[step, entry["effect"]] = entry.get("reason", "")
    return ParticipantRecords(inventory=inventory, payment=payment, by_order=dict(by_order))
