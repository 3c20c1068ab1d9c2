"""Inventory: stock per sku, and the reservations orders hold."""

from __future__ import annotations

import pykka

from actors.embedded.documents import STOCK, inventory_report
from actors.embedded.participants.base import Changed, Participant, ParticipantProxy
from actors.embedded.proxies import actor_method
from actors.saga import inventory, replies
from actors.saga.documents import InventoryReport, OperatorMark, StockLevel, StoredDocuments, documents_under
from actors.saga.domain import Order, Service
from actors.saga.effects import DONE, Effect


class InventoryService(Participant):
    service = Service.INVENTORY
    effect_words = inventory.WORDS
    _stock: dict[str, StockLevel]

    def _keep_shared(self, docs: StoredDocuments) -> None:
        self._stock = documents_under(docs, STOCK, StockLevel)

    def apply(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        wanted = inventory.reserve(order, {sku: level["available"] for sku, level in self._stock.items()})
        if isinstance(wanted, Effect):
            return wanted
        for sku, quantity in wanted.items():
            level = self._stock[sku]
            level["available"] -= quantity
            level["reserved"] += quantity
            changed.append((STOCK + sku, level))
        reservations = self._order_doc(order).setdefault("reservations", {})
        reservations[effect] = {"items": wanted, "status": self.effect_words.live}
        return DONE

    def undo(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        reservation = self._order_doc(order)["reservations"][effect]
        for sku, quantity in reservation["items"].items():
            level = self._stock[sku]
            level["available"] += quantity
            level["reserved"] -= quantity
            changed.append((STOCK + sku, level))
        reservation["status"] = self.effect_words.undone
        return DONE

    def restock(self, sku: str, quantity: int, key: str,
                mark: OperatorMark) -> pykka.ThreadingFuture[tuple[str, bool]]:
        """Add stock once per key, who made it beside it; the future resolves when it is
        durable, to the answer and whether the key was new."""
        if sku not in self._stock:
            raise KeyError(replies.no_sku(sku))
        level = self._stock[sku]
        new = key not in level["restocks"]
        if new:
            level["restocks"][key] = quantity
            level.setdefault("restocked_by", {})[key] = mark
            level["available"] += quantity
        return self._acknowledge([(STOCK + sku, level)],
                                 (replies.restocked(sku, quantity, level["available"]), new))

    def available(self) -> dict[str, int]:
        """Units available per sku now: what a retry's reservation could take."""
        return {sku: level["available"] for sku, level in self._stock.items()}

    def report(self) -> InventoryReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return inventory_report(self._stock, self._orders)


class InventoryProxy(ParticipantProxy):
    restock = actor_method(InventoryService.restock)
    available = actor_method(InventoryService.available)
    report = actor_method(InventoryService.report)
