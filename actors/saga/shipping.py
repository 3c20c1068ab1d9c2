"""Shipping's rules: the shipments created for orders."""

from __future__ import annotations

from actors.saga.documents import ShipmentStatus
from actors.saga.domain import Action, Order, Service
from actors.saga.effects import EffectWords, ServiceRules

WORDS: EffectWords[ShipmentStatus] = EffectWords(noun="shipment", live="created", undone="cancelled")


def ship(order: Order) -> str:
    """Where the shipment goes: a shipment always succeeds (a carrier outage is a scripted fault)."""
    return order.ship_to


def _terms(order: Order) -> str:
    """Where to: what a shipment holds."""
    return order.ship_to


def _describe(order: Order, action: Action) -> str:
    if action == Action.EXECUTE:
        return f'ships to "{order.ship_to}"'
    return f'cancels the shipment to "{order.ship_to}"'


RULES = ServiceRules(Service.SHIPPING, WORDS, terms=_terms, describe=_describe)
