"""Conservation: no stock and no money appear or vanish, whatever the orders did.

Per sku, available plus what held reservations keep equals the initial stock
plus restocks; per customer, the balance plus captured charges equals the
initial balance plus top-ups. Restocks and top-ups are recorded by key in the
stock and account documents for exactly this.
"""

from __future__ import annotations

from collections import Counter

from actors import InventoryReport, OrderRecord, PaymentReport, format_cents
from app.audit.findings import Finding, Kind
from app.audit.records import EFFECT_KINDS


def stock_findings(inventory: InventoryReport) -> list[Finding]:
    live = EFFECT_KINDS["inventory"].live
    held = Counter[str]()
    for reservation in inventory["reservations"]:
        if reservation["status"] == live:
            held.update(reservation["items"])
    findings = []
    for sku in sorted(set(held) - set(inventory["stock"])):
        findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, f"Reservations hold {held[sku]} "
                                f"of {sku}, a sku with no stock record."))
    for sku, level in sorted(inventory["stock"].items()):
        available, initial, reserved = level["available"], level["initial"], level["reserved"]
        restocked = sum(level["restocks"].values())
        if available + held[sku] != initial + restocked:
            findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, (
                f"Stock of {sku} is not conserved: {available} available + {held[sku]} held "
                f"by reservations = {available + held[sku]}, but {initial} initial + "
                f"{restocked} restocked = {initial + restocked}.")))
        elif reserved != held[sku]:
            findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, (
                f"Stock of {sku} counts {reserved} reserved, but its held reservations "
                f"hold {held[sku]}.")))
    return findings


def money_findings(payment: PaymentReport, records: list[OrderRecord]) -> list[Finding]:
    live = EFFECT_KINDS["payment"].live
    customer_of = {record.order.id: record.order.customer for record in records}
    captured = Counter[str]()
    for charge in payment["charges"]:
        if charge["status"] == live and charge["order"] in customer_of:
            captured[customer_of[charge["order"]]] += charge["amount_cents"]
    findings = []
    for customer in sorted(set(captured) - set(payment["accounts"])):
        findings.append(Finding(Kind.MONEY_NOT_CONSERVED, customer, (
            f"Customer {customer} has no account, yet charges of "
            f"{format_cents(captured[customer])} are captured from it.")))
    for customer, account in sorted(payment["accounts"].items()):
        balance, initial = account["balance_cents"], account["initial_cents"]
        topped_up = sum(account["top_ups"].values())
        have = balance + captured[customer]
        had = initial + topped_up
        if have != had:
            findings.append(Finding(Kind.MONEY_NOT_CONSERVED, customer, (
                f"Money of customer {customer} is not conserved: balance "
                f"{format_cents(balance)} + captured {format_cents(captured[customer])}"
                f" = {format_cents(have)}, but initial {format_cents(initial)} + "
                f"top-ups {format_cents(topped_up)} = {format_cents(had)}.")))
    return findings
