"""Parsing money and quantities typed by a person."""

from __future__ import annotations

import re

_MONEY = re.compile(r"^\$?(\d{1,9})(?:\.(\d{1,2}))?$")


def parse_cents(text: str) -> int:
    """'25', '25.5', '$25.50' -> cents; a clear ValueError for anything else."""
    match = _MONEY.match(text.strip().replace(",", ""))
    if match is None:
        raise ValueError(f"{text!r} is not an amount of money; write dollars like 25 or 25.50")
    cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
    if cents <= 0:
        raise ValueError(f"{text!r} is not a positive amount")
    return cents


def parse_quantity(text: str) -> int:
    """A whole number of units, at least 1."""
    stripped = text.strip()
    if not stripped.isdigit() or int(stripped) <= 0 or len(stripped) > 9:
        raise ValueError(f"{text!r} is not a quantity; write a whole number of units, 1 or more")
    return int(stripped)
