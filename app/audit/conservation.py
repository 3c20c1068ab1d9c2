"""Conservation: no stock and no money appear or vanish, whatever the orders did.

Per sku, available plus what held reservations keep equals the initial stock
plus restocks; per customer, the balance plus captured charges equals the
initial balance plus top-ups. Restocks and top-ups are recorded by key in the
stock and account documents for exactly this.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from actors import Account, StockLevel, format_cents
from app.audit.findings import Finding, Kind
from app.audit.records import OrderEffects


def held_units(effects: OrderEffects) -> dict[str, int]:
    """The units an order's held reservations keep, by sku: its part of the stock."""
    held: dict[str, int] = {}
    for effect in effects.effects.values():
        if effect.live and effect.reservation is not None:
            for sku, units in effect.reservation["items"].items():
                held[sku] = held.get(sku, 0) + units
    return held


def captured_cents(effects: OrderEffects) -> int | None:
    """What an order's captured charges took from its customer: its part of the money
    (None when it has no captured charge)."""
    amounts = [effect.charge["amount_cents"] for effect in effects.effects.values()
               if effect.live and effect.charge is not None]
    return sum(amounts) if amounts else None


def stock_findings(stock: Mapping[str, StockLevel], held: Counter[str]) -> list[Finding]:
    """Each sku's stock against the units every order's held reservations keep."""
    findings = []
    for sku in sorted(set(held) - set(stock)):
        findings.append(Finding(Kind.STOCK_NOT_CONSERVED, sku, f"Reservations hold {held[sku]} "
                                f"of {sku}, a sku with no stock record."))
    for sku, level in sorted(stock.items()):
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


def money_findings(accounts: Mapping[str, Account], captured: Counter[str]) -> list[Finding]:
    """Each customer's money against what the captured charges of their orders took."""
    findings = []
    for customer in sorted(set(captured) - set(accounts)):
        findings.append(Finding(Kind.MONEY_NOT_CONSERVED, customer, (
            f"Customer {customer} has no account, yet charges of "
            f"{format_cents(captured[customer])} are captured from it.")))
    for customer, account in sorted(accounts.items()):
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
