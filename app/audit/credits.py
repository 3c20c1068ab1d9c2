"""Checks of the operators' credits: each top-up and restock is stored by its participant
with who made it and the orders waiting on it, and each of those orders' timelines tells
of it. A credit whose orders do not tell of it, or a timeline telling of a credit its
participant does not have, is a finding: the record of who did what and the effect disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from actors import LiveReports, OperatorAction, TimelineEvent, order_sort_key
from app.audit.findings import Finding, Kind

# A credit as an order's timeline tells of it: what, by whom, when.
Told = tuple[OperatorAction, str | None, datetime]

_WORDS = {OperatorAction.TOP_UP: "top-up", OperatorAction.RESTOCK: "restock"}


def told(event: TimelineEvent) -> Told:
    assert isinstance(event.action, OperatorAction)
    return event.action, event.by, event.at


def _at(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def credit_findings(live: LiveReports, told_by_order: Mapping[str, tuple[Told, ...]],
                    known: set[str]) -> list[Finding]:
    """Each credit's orders against their timelines, then each timeline's credits against the
    participants' records of them."""
    inventory, payment = live[0], live[1]
    marks = [(OperatorAction.RESTOCK, sku, level.get("restocked_by", {}))
             for sku, level in inventory["stock"].items()]
    marks += [(OperatorAction.TOP_UP, customer, account.get("topped_up_by", {}))
              for customer, account in payment["accounts"].items()]
    found: list[Finding] = []
    made: set[tuple[str, Told]] = set()
    for action, target, by_key in marks:
        for key, mark in by_key.items():
            at = _at(mark["at"])
            credit = f"The {_WORDS[action]} of {target} by {mark['by']} (key {key})"
            if at is None:
                found.append(Finding(Kind.OPERATOR_RECORD, target, f"{credit} has no valid time ({mark['at']!r})."))
                continue
            for order_id in mark["orders"]:
                made.add((order_id, (action, mark["by"], at)))
                if order_id not in known:
                    found.append(Finding(Kind.OPERATOR_RECORD, target,
                                         f"{credit} names order {order_id}, which this database does not have."))
                elif (action, mark["by"], at) not in told_by_order.get(order_id, ()):
                    found.append(Finding(Kind.OPERATOR_RECORD, target,
                                         f"{credit} was for order {order_id}, whose timeline does not tell of it."))
    for order_id in sorted(told_by_order, key=order_sort_key):
        for action, by, at in told_by_order[order_id]:
            if (order_id, (action, by, at)) not in made:
                found.append(Finding(Kind.OPERATOR_RECORD, order_id, (
                    f"Order {order_id}'s timeline tells of a {_WORDS[action]} by {by} at "
                    f"{at:%Y-%m-%d %H:%M:%S} that no participant records for it.")))
    return found
