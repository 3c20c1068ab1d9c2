"""Shipping: the shipments created for orders."""

from __future__ import annotations

from collections.abc import Mapping

from actors.saga.domain import Action, Order, Service
from actors.embedded.participants.base import EffectResult, EffectWords, Participant, ParticipantProxy, ledger_of
from actors.saga.documents import OrderDocument, ShipmentStatus, ShippingReport, StoredDocuments
from actors.embedded.proxies import actor_method


def shipping_report(orders: Mapping[str, OrderDocument]) -> ShippingReport:
    """Copies of every shipment and the ledger, as plain data."""
    return {
        "shipments": [{"order": order, "effect": effect, **shipment}
                      for order, doc in sorted(orders.items())
                      for effect, shipment in doc.get("shipments", {}).items()],
        "ledger": ledger_of(orders),
    }


class ShippingService(Participant):
    service = Service.SHIPPING
    effect_words = EffectWords[ShipmentStatus](noun="shipment", live="created", undone="cancelled")

    def apply(self, order: Order, effect: str) -> EffectResult:
        shipments = self._order_doc(order).setdefault("shipments", {})
        shipments[effect] = {"address": order.ship_to, "status": self.effect_words.live}
        return EffectResult(ok=True)

    def undo(self, order: Order, effect: str) -> EffectResult:
        self._order_doc(order)["shipments"][effect]["status"] = self.effect_words.undone
        return EffectResult(ok=True)

    @classmethod
    def report_of(cls, docs: StoredDocuments) -> ShippingReport:
        """The report of stored documents, so a database can be reported without actors."""
        return shipping_report(cls.orders_in(docs))

    def report(self) -> ShippingReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return shipping_report(self._orders)

    @classmethod
    def terms(cls, order: Order) -> str:
        """Where to: what a shipment holds."""
        return order.ship_to

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        if action == Action.EXECUTE:
            return f'ships to "{order.ship_to}"'
        return f'cancels the shipment to "{order.ship_to}"'


class ShippingProxy(ParticipantProxy):
    report = actor_method(ShippingService.report)
