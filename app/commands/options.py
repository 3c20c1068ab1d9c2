"""What the text of each option means: read and checked, a wrong one refused in one sentence.

The argparse types refuse with BadArgument, which argparse lets through (it turns only
ValueError and TypeError into its usage message), so main says the rule's sentence alone.
The checks the commands make themselves run before anything resumes."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from actors import QUANTITY, SKU, BadValue, SagaStatus, login_name, shown
from app.query import Query, QueryError, parse_duration, parse_query

T = TypeVar("T")
STATUS_NAMES = ", ".join(status.value for status in SagaStatus)


class BadArgument(Exception):
    """A command-line value found wrong after parsing; the message is one sentence."""


def statuses(values: list[str] | None) -> set[SagaStatus] | None:
    """--status, repeated or comma-separated (`on hold`, `on-hold`: on_hold); None for every status."""
    if values is None:
        return None
    chosen = set()
    for value in (part.strip() for text in values for part in text.split(",")):
        try:
            chosen.add(SagaStatus(value.lower().replace("-", "_").replace(" ", "_")))
        except ValueError:
            raise BadArgument(f"--status {shown(value)} is not a status of an order; the statuses are "
                              f"{STATUS_NAMES}.") from None
    return chosen


def limit(text: str | None) -> int | None:
    """--limit as a count of orders; None for all of them."""
    if text is None:
        return None
    cleaned = text.strip()
    try:
        count = int(cleaned) if cleaned.isascii() and cleaned.isdigit() else 0
    except ValueError:  # more digits than int() converts: more orders than any database holds
        return None
    if count < 1:
        raise BadArgument(f"--limit must be a whole number of orders, at least 1 (got {shown(text)}).")
    return count


def where(text: str | None) -> Query:
    """--where as a query (every order without one); a term it cannot read is one sentence."""
    try:
        return parse_query(text or "")
    except QueryError as error:
        raise BadArgument(f"--where: {error}") from None


def since(text: str) -> timedelta:
    """--since: a span from a minute to a week, as 30m, 1h or 2d."""
    try:
        span = parse_duration(text)
    except ValueError as error:
        raise BadArgument(f"--since {error}") from None
    if not timedelta(minutes=1) <= span <= timedelta(days=7):
        raise BadArgument(f"--since must be from 1m to 7d (got {text.strip()}).")
    return span


OPERATOR_VARIABLE = "ORDERSAGA_OPERATOR"


def default_operator() -> str:
    """--operator's default: $ORDERSAGA_OPERATOR if set, else the login name (checked as typed)."""
    return os.environ.get(OPERATOR_VARIABLE) or login_name()


def checked(rule: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type applying the rule every door applies (actors/saga/values.py)."""
    def convert(text: str) -> T:
        try:
            return rule(text)
        except BadValue as bad:
            raise BadArgument(str(bad)) from None
    return convert


def quantity(text: str) -> tuple[str, int]:
    """--quantity SKU=N as (sku, n); its bounds are the saga rules' to check (0: remove it)."""
    sku, equals, units = text.rpartition("=")
    if not equals or not sku:
        raise BadArgument(f"--quantity {shown(text)} is not a sku and a whole number of units; "
                          "give one like KEYBOARD=2.")
    try:
        return SKU.check(sku), QUANTITY.read(units)
    except BadValue as bad:
        raise BadArgument(str(bad)) from None
