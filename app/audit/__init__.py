"""The audit: proof, from the records alone, that no order left orphaned state.

`audit` cross-checks each participant's records (effects and idempotency
ledger) against each order's timeline and notices, and checks conservation of
stock and money. It trusts no step status the coordinator keeps, and is a pure
function of a snapshot, cheap enough for a dashboard to run as orders settle.
"""

from __future__ import annotations

from actors import WorldSnapshot
from app.audit.conservation import money_findings, stock_findings
from app.audit.findings import Finding, Kind, summary
from app.audit.orders import check_order
from app.audit.records import AuditError, OrderEffects, read_records
from app.audit.timeline import replay

__all__ = ["AuditError", "Finding", "Kind", "audit", "summary"]


def audit(snapshot: WorldSnapshot, allow_in_flight: bool = False) -> list[Finding]:
    """Everything wrong in the snapshot, per order, then per sku, then per customer.

    With allow_in_flight (a live view), an order still running is only checked
    for saga order; otherwise it is itself a finding. Raises AuditError when a
    participant's records do not have the shape it writes.
    """
    records = read_records(snapshot)
    findings: list[Finding] = []
    known = set()
    for record in snapshot.records:
        known.add(record.order.id)
        effects = records.by_order.get(record.order.id, OrderEffects())
        findings += check_order(record, replay(record), effects, allow_in_flight)
    for order_id in sorted(set(records.by_order) - known):
        kept = records.by_order[order_id]
        steps = sorted({step for step, _ in kept.effects} | {step for step, _ in kept.ledger})
        findings.append(Finding(Kind.RECORD_MISMATCH, order_id, (
            f"There are {' and '.join(steps)} records of order {order_id}, "
            "which this database does not have.")))
    findings += stock_findings(records.inventory)
    findings += money_findings(records.payment, snapshot.records)
    return findings
