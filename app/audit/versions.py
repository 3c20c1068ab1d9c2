"""Checks of an order's versions: each one made by one edit in its timeline, told to the
customer, a correction of the one before (never a new sku), and each attempt on the
version its place in the timeline gives it.

What the participants hold is checked against these versions in orders.py.
"""

from __future__ import annotations

from itertools import pairwise

from actors import NotificationKind, OrderRecord
from app.audit.findings import Finding, Kind
from app.audit.timeline import Replay


def version_findings(record: OrderRecord, replay: Replay) -> list[Finding]:
    order_id = record.order.id
    found: list[str] = []
    edits = len(replay.edits)
    if edits != len(record.earlier_versions):
        found.append(f"Order {order_id} has {record.version} versions, but its timeline records "
                     f"{edits} edit{'' if edits == 1 else 's'}, which make {edits + 1}.")
    versions = record.versions
    for number, (before, after) in enumerate(pairwise(versions), start=2):
        added = sorted({item.sku for item in after.items} - {item.sku for item in before.items})
        if (after.id, after.customer) != (before.id, before.customer):
            found.append(f"Order {order_id}'s version {number} is order {after.id} of {after.customer}, "
                         f"but version {number - 1} is order {before.id} of {before.customer}.")
        elif added:
            found.append(f"Order {order_id}'s version {number} adds {', '.join(added)}, which no "
                         "correction can.")
        elif after == before:
            found.append(f"Order {order_id}'s version {number} is the same as version {number - 1}.")
    ran_on = {attempt.number: attempt.version for attempt in record.attempts}
    for summary in replay.attempts:
        expected = summary.edits_before + 1
        if summary.number in ran_on and ran_on[summary.number] != expected:
            found.append(f"Order {order_id}'s attempt {summary.number} says it ran on version "
                         f"{ran_on[summary.number]}, but its timeline starts it on version {expected}.")
    notices = sum(1 for note in record.notifications if note.kind == NotificationKind.CORRECTION)
    if notices != edits:
        found.append(f"Order {order_id} has {notices} correction notice{'' if notices == 1 else 's'} "
                     f"for {edits} edit{'' if edits == 1 else 's'}, instead of one each.")
    return [Finding(Kind.VERSION_MISMATCH, order_id, message) for message in found]
