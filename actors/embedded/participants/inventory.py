"""Inventory: stock per sku, and the reservations orders hold."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping

import pykka

from actors.saga.domain import Action, Order, Service
from actors.embedded.participants.base import EffectResult, EffectWords, Participant, ParticipantProxy, ledger_of
from actors.saga.documents import (InventoryReport, OrderDocument, ReservationStatus, StockLevel,
                                           StoredDocuments, documents_under)
from actors.embedded.proxies import actor_method

STOCK = "stock/"


def stock_doc(initial: int) -> StockLevel:
    return {"initial": initial, "available": initial, "reserved": 0, "restocks": {}}


def inventory_report(stock: Mapping[str, StockLevel],
                     orders: Mapping[str, OrderDocument]) -> InventoryReport:
    """Copies of the stock levels, every reservation and the ledger, as plain data."""
    return {
        "stock": {sku: copy.deepcopy(level) for sku, level in sorted(stock.items())},
        "reservations": [{"order": order, "effect": effect, **copy.deepcopy(reservation)}
                         for order, doc in sorted(orders.items())
                         for effect, reservation in doc.get("reservations", {}).items()],
        "ledger": ledger_of(orders),
    }


class InventoryService(Participant):
    service = Service.INVENTORY
    effect_words = EffectWords[ReservationStatus](noun="reservation", live="held", undone="released")
    shared_prefixes = (STOCK,)
    _stock: dict[str, StockLevel]

    def _keep_shared(self, docs: StoredDocuments) -> None:
        self._stock = documents_under(docs, STOCK, StockLevel)

    def apply(self, order: Order, effect: str) -> EffectResult:
        """Reserve every item of the order, or none of them."""
        wanted = Counter[str]()
        for item in order.items:
            wanted[item.sku] += item.quantity
        for sku, quantity in wanted.items():
            available = self._stock[sku]["available"]
            if available < quantity:
                return EffectResult(ok=False, reason=f"Not enough stock of {sku}: wanted {quantity}, "
                                                     f"available {available}", shortfall=True)
        for sku, quantity in wanted.items():
            level = self._stock[sku]
            level["available"] -= quantity
            level["reserved"] += quantity
        reservations = self._order_doc(order).setdefault("reservations", {})
        reservations[effect] = {"items": dict(wanted), "status": self.effect_words.live}
        return EffectResult(ok=True, changed=[(STOCK + sku, self._stock[sku]) for sku in wanted])

    def undo(self, order: Order, effect: str) -> EffectResult:
        reservation = self._order_doc(order)["reservations"][effect]
        for sku, quantity in reservation["items"].items():
            level = self._stock[sku]
            level["available"] += quantity
            level["reserved"] -= quantity
        reservation["status"] = self.effect_words.undone
        return EffectResult(ok=True, changed=[(STOCK + sku, self._stock[sku])
                                              for sku in reservation["items"]])

    @classmethod
    def terms(cls, order: Order) -> dict[str, int]:
        """The units of each sku: what a reservation holds."""
        units: dict[str, int] = {}
        for item in order.items:
            units[item.sku] = units.get(item.sku, 0) + item.quantity
        return units

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        units = " and ".join(f"{count} {sku}" for sku, count in cls.terms(order).items())
        return f"{'reserves' if action == Action.EXECUTE else 'releases'} {units}"

    def restock(self, sku: str, quantity: int, key: str) -> pykka.ThreadingFuture[str]:
        """Add stock once per key; the future resolves when it is durable."""
        if sku not in self._stock:
            raise KeyError(f"There is no sku {sku!r} in this database.")
        level = self._stock[sku]
        if key not in level["restocks"]:
            level["restocks"][key] = quantity
            level["available"] += quantity
        return self._acknowledge([(STOCK + sku, level)], f"Restocked {sku} by {quantity}; "
                                                         f"{level['available']} available.")

    def available(self) -> dict[str, int]:
        """Units available per sku now: what a retry's reservation could take."""
        return {sku: level["available"] for sku, level in self._stock.items()}

    @classmethod
    def report_of(cls, docs: StoredDocuments) -> InventoryReport:
        """The report of stored documents, so a database can be reported without actors."""
        return inventory_report(documents_under(docs, STOCK, StockLevel), cls.orders_in(docs))

    def report(self) -> InventoryReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return inventory_report(self._stock, self._orders)


class InventoryProxy(ParticipantProxy):
    restock = actor_method(InventoryService.restock)
    available = actor_method(InventoryService.available)
    report = actor_method(InventoryService.report)
