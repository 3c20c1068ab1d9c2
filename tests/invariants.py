"""What must hold of any run's report, whatever failed on the way (issue 2's invariants)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def assert_invariants(report: dict[str, Any]) -> None:
    """Conservation of stock and money, no orphaned effects, one confirmation per order, and
    no completed order charged other than its total."""
    orders = {order["id"]: order for order in report["orders"]}
    for sku, level in report["stock"].items():
        assert level["available"] >= 0 and level["reserved"] >= 0, sku
        assert level["available"] + level["reserved"] == level["initial"] + level["restocked"], (
            f"stock of {sku} not conserved: {level}")

    captured = Counter[str]()
    captured_per_order = Counter[str]()
    for charge in report["charges"]:
        if charge["status"] == "captured":
            captured[orders[charge["order"]]["customer"]] += charge["amount_cents"]
            captured_per_order[charge["order"]] += 1
            if orders[charge["order"]]["status"] == "completed":  # what its current version says
                assert charge["amount_cents"] == orders[charge["order"]]["total_cents"], charge
    for customer, account in report["accounts"].items():
        assert account["balance_cents"] >= 0, customer
        assert account["balance_cents"] + captured[customer] == (
            account["initial_cents"] + account["top_ups_cents"]), f"money of {customer} not conserved"

    held = Counter(r["order"] for r in report["reservations"] if r["status"] == "held")
    live_shipments = Counter(s["order"] for s in report["shipments"] if s["status"] == "created")
    for order_id, order in orders.items():
        assert order["status"] in ("completed", "failed", "on_hold", "cancelled"), (order_id, order["status"])
        assert captured_per_order[order_id] <= 1, f"{order_id} charged more than once"
        confirmations = [n for n in order["notifications"] if n["kind"] == "confirmation"]
        if order["status"] == "completed":
            assert len(confirmations) == 1, f"{order_id} has {len(confirmations)} confirmations"
            assert (held[order_id], captured_per_order[order_id], live_shipments[order_id]) == (1, 1, 1), order_id
        else:
            assert not confirmations, f"{order_id} is {order['status']} but was confirmed"
        if order["status"] in ("failed", "cancelled"):
            status = order["status"]
            assert held[order_id] == 0, f"{status} {order_id} still holds a reservation"
            assert captured_per_order[order_id] == 0, f"{status} {order_id} still holds a charge"
            assert live_shipments[order_id] == 0, f"{status} {order_id} still holds a shipment"
            assert all(s["status"] == "compensated" or s["status"] in ("pending", "failed")
                       for s in order["steps"]), f"{status} {order_id} has a step not undone: {order['steps']}"
            kind = "failure" if status == "failed" else "cancellation"
            notices = [n for n in order["notifications"] if n["kind"] == kind]
            assert notices and all(n["message"] for n in notices), order_id
