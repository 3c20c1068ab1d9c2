"""Reading the numbers an operator types; a bad one gets a sentence, never the engine."""

from __future__ import annotations

from actors import AMOUNT, QUANTITY


def parse_dollars(text: str) -> int:
    """Dollars with optional cents ("25", "25.50", "$1,000.00") as cents; BadValue (a ValueError)
    says why not, as every door does (actors/saga/values.py)."""
    return AMOUNT.parse(text)


def parse_units(text: str) -> int:
    """A whole number of units to add to stock."""
    return QUANTITY.parse(text)


def as_dollars(cents: int) -> str:
    """Cents as the operator would type them: 4999 -> 49.99."""
    return f"{cents // 100}.{cents % 100:02d}"
