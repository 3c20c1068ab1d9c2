"""Inventory's rules: stock per sku, and the reservations orders hold."""

from __future__ import annotations

from collections.abc import Mapping

from actors.saga.documents import ReservationStatus
from actors.saga.domain import Action, Order, Service
from actors.saga.effects import Effect, EffectWords, ServiceRules

WORDS: EffectWords[ReservationStatus] = EffectWords(noun="reservation", live="held", undone="released")


def reserve(order: Order, available: Mapping[str, int]) -> Effect | dict[str, int]:
    """The units of each sku to move from available to reserved: every item of the order,
    or none of them (the refusal, when a sku has too few)."""
    wanted = order.units_by_sku()
    for sku, quantity in wanted.items():
        have = available.get(sku, 0)
        if have < quantity:
            return Effect(ok=False, reason=f"Not enough stock of {sku}: wanted {quantity}, available {have}",
                          shortfall=True)
    return wanted


def _describe(order: Order, action: Action) -> str:
    units = " and ".join(f"{count} {sku}" for sku, count in order.units_by_sku().items())
    return f"{'reserves' if action == Action.EXECUTE else 'releases'} {units}"


RULES = ServiceRules(Service.INVENTORY, WORDS, terms=Order.units_by_sku, describe=_describe,
                     draws=Order.units_by_sku, supply=lambda scenario: scenario.stock)
