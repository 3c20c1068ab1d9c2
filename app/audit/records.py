"""The participants' records, read into checked, typed form.

The audit trusts nothing it reads: each participant's report is validated against the
types the participants write it as, and one that does not have that shape makes the
whole audit impossible, and says where.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from actors import (
    SAGA_PLAN,
    ChargeRow,
    EffectWords,
    InventoryReport,
    LedgerState,
    LiveReports,
    PaymentReport,
    ReservationRow,
    ShipmentRow,
    ShippingReport,
)

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


def _validate(adapter: TypeAdapter[R], data: object, service: str) -> R:
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "its report"
        raise AuditError(f"The {service} records cannot be audited: {where}: "
                         f"{first['msg'][0].lower()}{first['msg'][1:]}.") from None


def validated(reports: LiveReports) -> LiveReports:
    """The participants' reports, checked against the types they are written as."""
    return (_validate(_INVENTORY, reports[0], "inventory"), _validate(_PAYMENT, reports[1], "payment"),
            _validate(_SHIPPING, reports[2], "shipping"))


def effects_by_order(reports: LiveReports) -> dict[str, OrderEffects]:
    """Each order's effects and ledger entries in validated reports, by order id."""
    inventory, payment, shipping = reports
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
    return dict(by_order)


def merged(live: OrderEffects | None, archived: OrderEffects | None) -> OrderEffects:
    """An order's live rows with its archived ones (the archived win where both name a key)."""
    both = OrderEffects()
    for part in (live, archived):
        if part is not None:
            both.effects.update(part.effects)
            both.ledger.update(part.ledger)
            both.failure_reasons.update(part.failure_reasons)
    return both
