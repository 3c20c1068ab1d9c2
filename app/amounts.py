"""Reading the numbers an operator types; a bad one gets a sentence, never the engine."""

from __future__ import annotations

import re

from actors import MAX_CENTS, MAX_UNITS, format_cents

_DOLLARS = re.compile(r"\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def parse_dollars(text: str) -> int:
    """Dollars with optional cents ("25", "25.50", "$1,000.00") as cents."""
    if not text.strip():
        raise ValueError("Type an amount in dollars, like 25.00.")
    match = _DOLLARS.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not an amount in dollars; type one like 25.00.")
    cents = int(match[1].replace(",", "")) * 100 + int((match[2] or "0").ljust(2, "0"))
    if cents == 0:
        raise ValueError("The amount must be more than $0.00.")
    if cents > MAX_CENTS:
        raise ValueError(f"The amount must be at most {format_cents(MAX_CENTS)}.")
    return cents


def parse_units(text: str) -> int:
    """A whole number of units to add to stock."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("Type a number of units, like 3.")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(f"{cleaned!r} is not a whole number of units; type one like 3.")
    units = int(cleaned)
    if units == 0:
        raise ValueError("The quantity must be at least 1.")
    if units > MAX_UNITS:
        raise ValueError(f"The quantity must be at most {MAX_UNITS:,}.")
    return units


def as_dollars(cents: int) -> str:
    """Cents as the operator would type them: 4999 -> 49.99."""
    return f"{cents // 100}.{cents % 100:02d}"
