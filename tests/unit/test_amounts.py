"""The numbers an operator types: good ones become cents or units, bad ones a sentence."""

from __future__ import annotations

import pytest

from app.amounts import as_dollars, parse_dollars, parse_units


@pytest.mark.parametrize("typed, cents", [
    ("25", 2500), ("25.5", 2550), ("25.05", 2505), ("$1,000.00", 100000), ("0.01", 1), ("007", 700)])
def test_dollars_with_or_without_cents(typed: str, cents: int) -> None:
    assert parse_dollars(typed) == cents


@pytest.mark.parametrize("typed, sentence", [
    ("", "The amount must not be empty or only spaces (got '')."),
    ("ten", "The amount must be in dollars, like 25.00 (got 'ten')."),
    ("2.505", "The amount must be in dollars, like 25.00 (got '2.505')."),
    ("1,00", "The amount must be in dollars, like 25.00 (got '1,00')."),
    (" 5", "The amount must not start or end with spaces (got ' 5')."),
    ("5\n", "The amount must not contain control or invisible characters (got '5\\n')."),
    ("-5", "The amount must be from $0.01 to $1,000,000.00 (got -$5.00)."),
    ("0.00", "The amount must be from $0.01 to $1,000,000.00 (got $0.00)."),
    ("1000000.01", "The amount must be from $0.01 to $1,000,000.00 (got $1,000,000.01)."),
    ("9" * 5000, "The amount must be from $0.01 to $1,000,000.00 (got a number of 5,000 digits)."),
])
def test_a_bad_amount_is_one_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(ValueError) as refusal:
        parse_dollars(typed)
    assert str(refusal.value) == sentence


@pytest.mark.parametrize("typed, sentence", [
    ("", "The quantity must not be empty or only spaces (got '')."),
    ("2.5", "The quantity must be a whole number, like 3 (got '2.5')."),
    ("²", "The quantity must be a whole number, like 3 (got '²')."),
    (" 12 ", "The quantity must not start or end with spaces (got ' 12 ')."),
    ("0", "The quantity must be from 1 to 100,000 (got 0)."),
    ("100001", "The quantity must be from 1 to 100,000 (got 100,001)."),
    ("-" + "0" * 30 + "1", "The quantity must be from 1 to 100,000 (got -1)."),
    ("-" + "9" * 5000, "The quantity must be from 1 to 100,000 (got a negative number of 5,000 digits)."),
])
def test_a_bad_quantity_is_one_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(ValueError) as refusal:
        parse_units(typed)
    assert str(refusal.value) == sentence


def test_units_and_the_prefilled_amount_read_back() -> None:
    assert parse_units("12") == parse_units("+0012") == 12
    assert parse_dollars(as_dollars(4999)) == 4999
