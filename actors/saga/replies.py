"""What an engine answers an operator, in the same words on both runtimes."""

from __future__ import annotations

from actors.saga.domain import OrderRecord, format_cents
from actors.saga.retrying import plan_retry
from actors.saga.transitions import Transition


def retried(before: OrderRecord, transition: Transition) -> str:
    """The answer to a retry: where the new attempt starts, or what it first undoes."""
    order_id = before.order.id
    attempt = transition.record.current_attempt
    assert attempt is not None and transition.command is not None
    if attempt.redo_from is not None:  # a correction invalidated kept steps: undone first
        return (f"Order {order_id}: the retry first {plan_retry(before).undo_words}, "
                f"then attempt {attempt.number + 1} starts at {attempt.redo_from}.")
    return f"Order {order_id}: attempt {attempt.number} started at {transition.command.key.step}."


def cancelling(order_id: str) -> str:
    return f"Order {order_id}: cancelling, its completed steps are being compensated."


def edited(record: OrderRecord) -> str:
    """What the last correction changed and what a retry will now do."""
    change = record.timeline[-1].reason
    return f"Order {record.order.id} is now {change}. Retrying it {plan_retry(record).describe()}."


def topped_up(customer: str, amount_cents: int, balance_cents: int) -> str:
    return f"Topped up {customer} by {format_cents(amount_cents)}; balance {format_cents(balance_cents)}."


def restocked(sku: str, quantity: int, available: int) -> str:
    return f"Restocked {sku} by {quantity}; {available} available."


def no_order(order_id: str) -> str:
    return f"There is no order {order_id!r} in this database."


def no_customer(customer: str) -> str:
    return f"There is no customer {customer!r} in this database."


def no_sku(sku: str) -> str:
    return f"There is no sku {sku!r} in this database."
