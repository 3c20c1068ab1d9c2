"""Shipping: the shipments created for orders."""

from __future__ import annotations

from typing import Any

from actors.domain import Action, Order, Service
from actors.participants.base import EffectWords, Outcome, Participant, docs_under, ledger_of


class ShippingService(Participant):
    service = Service.SHIPPING
    effect_words = EffectWords(noun="shipment", live="created", undone="cancelled")

    def apply(self, order: Order, effect: str) -> Outcome:
        shipments = self._order_doc(order).setdefault("shipments", {})
        shipments[effect] = {"address": order.ship_to, "status": self.effect_words.live}
        return Outcome(ok=True)

    def undo(self, order: Order, effect: str) -> Outcome:
        self._order_doc(order)["shipments"][effect]["status"] = self.effect_words.undone
        return Outcome(ok=True)

    @classmethod
    def terms(cls, order: Order) -> str:
        """Where to: what a shipment holds."""
        return order.ship_to

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        if action == Action.EXECUTE:
            return f'ships to "{order.ship_to}"'
        return f'cancels the shipment to "{order.ship_to}"'

    @classmethod
    def report_of(cls, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        shipments = [
            {"order": order, "effect": effect, **shipment}
            for order, doc in docs_under(docs, "shipping/")
            for effect, shipment in doc.get("shipments", {}).items()
        ]
        return {"shipments": shipments, "ledger": ledger_of(cls.service, docs)}
