"""Shipping: the shipments created for orders."""

from __future__ import annotations

from actors.embedded.documents import shipping_report
from actors.embedded.participants.base import Changed, Participant, ParticipantProxy
from actors.embedded.proxies import actor_method
from actors.saga import shipping
from actors.saga.documents import ShippingReport
from actors.saga.domain import Order, Service
from actors.saga.effects import DONE, Effect


class ShippingService(Participant):
    service = Service.SHIPPING
    effect_words = shipping.WORDS

    def apply(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        shipments = self._order_doc(order).setdefault("shipments", {})
        shipments[effect] = {"address": shipping.ship(order), "status": self.effect_words.live}
        return DONE

    def undo(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        self._order_doc(order)["shipments"][effect]["status"] = self.effect_words.undone
        return DONE

    def report(self) -> ShippingReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return shipping_report(self._orders)


class ShippingProxy(ParticipantProxy):
    report = actor_method(ShippingService.report)
