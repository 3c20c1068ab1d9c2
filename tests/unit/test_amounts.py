"""The numbers an operator types: good ones become cents or units, bad ones a sentence."""

from __future__ import annotations

import pytest

from app.amounts import as_dollars, parse_dollars, parse_units


@pytest.mark.parametrize("typed, cents", [
    ("25", 2500), ("25.5", 2550), ("25.05", 2505), (" $1,000.00 ", 100000), ("0.01", 1)])
def test_dollars_with_or_without_cents(typed: str, cents: int) -> None:
    assert parse_dollars(typed) == cents


@pytest.mark.parametrize("typed, sentence", [
    ("", "Type an amount in dollars, like 25.00."),
    ("ten", "'ten' is not an amount in dollars; type one like 25.00."),
    ("-5", "'-5' is not an amount in dollars; type one like 25.00."),
    ("2.505", "'2.505' is not an amount in dollars; type one like 25.00."),
    ("1,00", "'1,00' is not an amount in dollars; type one like 25.00."),
    ("0.00", "The amount must be more than $0.00."),
    ("1000000.01", "The amount must be at most $1,000,000.00."),
])
def test_a_bad_amount_is_one_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(ValueError) as refusal:
        parse_dollars(typed)
    assert str(refusal.value) == sentence


@pytest.mark.parametrize("typed, sentence", [
    ("", "Type a number of units, like 3."),
    ("2.5", "'2.5' is not a whole number of units; type one like 3."),
    ("²", "'²' is not a whole number of units; type one like 3."),
    ("0", "The quantity must be at least 1."),
    ("100001", "The quantity must be at most 100,000."),
])
def test_a_bad_quantity_is_one_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(ValueError) as refusal:
        parse_units(typed)
    assert str(refusal.value) == sentence


def test_units_and_the_prefilled_amount_read_back() -> None:
    assert parse_units(" 12 ") == 12
    assert parse_dollars(as_dollars(4999)) == 4999
