"""Conservation: no stock and no money appear or vanish, whatever the orders did.

Per sku, available plus what held reservations keep equals the initial stock
plus restocks; per customer, the balance plus captured charges equals the
initial balance plus top-ups. Restocks and top-ups are recorded by key in the
stock and account documents for exactly this.
"""

from __future__ import annotations

from collections import Counter

from actors import OrderRecord, format_cents
from app.audit.findings import Finding, Kind
from app.audit.records import InventoryRecords, PaymentRecords


def stock_findings(inventory: InventoryRecords) -> list[Finding]:
    held = Counter[str]()
    for reservation in inventory.reservations:
        if reservation.status == "held":
            held.update(reservation.items)
    findings = []
    for sku in sorted(set(held) - set(inventory.stock)):
        findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, f"Reservations hold {held[sku]} "
                                f"of {sku}, a sku with no stock record."))
    for sku, level in sorted(inventory.stock.items()):
        restocked = sum(level.restocks.values())
        if level.available + held[sku] != level.initial + restocked:
            findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, (
                f"Stock of {sku} is not conserved: {level.available} available + {held[sku]} held "
                f"by reservations = {level.available + held[sku]}, but {level.initial} initial + "
                f"{restocked} restocked = {level.initial + restocked}.")))
        elif level.reserved != held[sku]:
            findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, (
                f"Stock of {sku} counts {level.reserved} reserved, but its held reservations "
                f"hold {held[sku]}.")))
    return findings


def money_findings(payment: PaymentRecords, records: list[OrderRecord]) -> list[Finding]:
    customer_of = {record.order.id: record.order.customer for record in records}
    captured = Counter[str]()
    for charge in payment.charges:
        if charge.status == "captured" and charge.order in customer_of:
            captured[customer_of[charge.order]] += charge.amount_cents
    findings = []
    for customer in sorted(set(captured) - set(payment.accounts)):
        findings.append(Finding(Kind.MONEY_NOT_CONSERVED, customer, (
            f"Customer {customer} has no account, yet charges of "
            f"{format_cents(captured[customer])} are captured from it.")))
    for customer, account in sorted(payment.accounts.items()):
        topped_up = sum(account.top_ups.values())
        have = account.balance_cents + captured[customer]
        had = account.initial_cents + topped_up
        if have != had:
            findings.append(Finding(Kind.MONEY_NOT_CONSERVED, customer, (
                f"Money of customer {customer} is not conserved: balance "
                f"{format_cents(account.balance_cents)} + captured {format_cents(captured[customer])}"
                f" = {format_cents(have)}, but initial {format_cents(account.initial_cents)} + "
                f"top-ups {format_cents(topped_up)} = {format_cents(had)}.")))
    return findings
