"""Inventory: stock per sku, and the reservations orders hold."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pykka

from actors.domain import Action, Order, Service
from actors.participants.base import EffectWords, Outcome, Participant, docs_under, ledger_of

STOCK = "stock/"


def stock_doc(initial: int) -> dict[str, Any]:
    return {"initial": initial, "available": initial, "reserved": 0, "restocks": {}}


class InventoryService(Participant):
    service = Service.INVENTORY
    effect_words = EffectWords(noun="reservation", live="held", undone="released")
    shared_prefixes = (STOCK,)

    def apply(self, order: Order, effect: str) -> Outcome:
        """Reserve every item of the order, or none of them."""
        wanted = Counter[str]()
        for item in order.items:
            wanted[item.sku] += item.quantity
        for sku, quantity in wanted.items():
            available = self._doc(STOCK + sku)["available"]
            if available < quantity:
                return Outcome(ok=False, reason=f"Not enough stock of {sku}: wanted {quantity}, "
                                                f"available {available}")
        for sku, quantity in wanted.items():
            level = self._doc(STOCK + sku)
            level["available"] -= quantity
            level["reserved"] += quantity
        reservations = self._order_doc(order).setdefault("reservations", {})
        reservations[effect] = {"items": dict(wanted), "status": self.effect_words.live}
        return Outcome(ok=True, changed=[STOCK + sku for sku in wanted])

    def undo(self, order: Order, effect: str) -> Outcome:
        reservation = self._order_doc(order)["reservations"][effect]
        for sku, quantity in reservation["items"].items():
            level = self._doc(STOCK + sku)
            level["available"] += quantity
            level["reserved"] -= quantity
        reservation["status"] = self.effect_words.undone
        return Outcome(ok=True, changed=[STOCK + sku for sku in reservation["items"]])

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
        if STOCK + sku not in self._docs:
            raise KeyError(f"There is no sku {sku!r} in this database.")
        level = self._doc(STOCK + sku)
        if key not in level["restocks"]:
            level["restocks"][key] = quantity
            level["available"] += quantity
        return self._acknowledge([STOCK + sku], f"Restocked {sku} by {quantity}; "
                                                f"{level['available']} available.")

    @classmethod
    def report_of(cls, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        stock = {sku: dict(level) for sku, level in docs_under(docs, STOCK)}
        reservations = [
            {"order": order, "effect": effect, "items": dict(r["items"]), "status": r["status"]}
            for order, doc in docs_under(docs, "inventory/")
            for effect, r in doc.get("reservations", {}).items()
        ]
        return {"stock": stock, "reservations": reservations, "ledger": ledger_of(cls.service, docs)}
