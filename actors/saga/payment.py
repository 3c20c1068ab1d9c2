"""Payment's rules: customer balances, and the charges orders hold."""

from __future__ import annotations

from actors.saga.documents import ChargeStatus
from actors.saga.domain import Action, Order, Service, format_cents
from actors.saga.effects import Effect, EffectWords, ServiceRules

WORDS: EffectWords[ChargeStatus] = EffectWords(noun="charge", live="captured", undone="refunded")


def charge(order: Order, balance_cents: int) -> Effect | int:
    """The amount to take from the customer's balance: the order's total, if it covers it."""
    total = order.total_cents
    if balance_cents < total:
        return Effect(ok=False, reason=f"Insufficient funds: balance {format_cents(balance_cents)}, "
                                       f"order total {format_cents(total)}", shortfall=True)
    return total


def _terms(order: Order) -> tuple[str, int]:
    """Whose money and how much: what a charge holds."""
    return order.customer, order.total_cents


def _describe(order: Order, action: Action) -> str:
    return f"{'charges' if action == Action.EXECUTE else 'refunds'} {format_cents(order.total_cents)}"


RULES = ServiceRules(Service.PAYMENT, WORDS, terms=_terms, describe=_describe,
                     draws=lambda order: {order.customer: order.total_cents},
                     supply=lambda scenario: scenario.accounts)
