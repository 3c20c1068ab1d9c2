"""The value rules every door applies: what an id, an address, a quantity or an amount may be,
and the one sentence that says why one may not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from actors import AMOUNT, CUSTOMER, ORDER_ID, QUANTITY, SHIP_TO, SKU, WORKER_ID, BadValue, shown
from actors.saga.domain import STORED, Correction, Order, OrderRecord


def refusal(check: object, value: object) -> str:
    with pytest.raises(BadValue) as refused:
        check(value)  # type: ignore[operator]
    return str(refused.value)


@pytest.mark.parametrize("value, sentence", [
    ("1 Main\nSt", "The ship-to must not contain control or invisible characters (got '1 Main\\nSt')."),
    ("1 Main\x1b[2JSt", "The ship-to must not contain control or invisible characters (got '1 Main\\x1b[2JSt')."),
    ("1 Main\u200bSt", "The ship-to must not contain control or invisible characters (got '1 Main\\u200bSt')."),
    ("1 Main\u202eSt", "The ship-to must not contain control or invisible characters (got '1 Main\\u202eSt')."),
    ("1 Main\u2028St", "The ship-to must not contain control or invisible characters (got '1 Main\\u2028St')."),
    ("1 Main\ufeffSt", "The ship-to must not contain control or invisible characters (got '1 Main\\ufeffSt')."),
    ("1 Main\u3164St", "The ship-to must not contain control or invisible characters (got '1 Main\\u3164St')."),
    ("  1 Main St", "The ship-to must not start or end with spaces (got '  1 Main St')."),
    ("x" * 100_000, "The ship-to must be at most 200 characters (got 100,000)."),
    ("\t", "The ship-to must not be empty or only spaces (got '\\t')."),
])
def test_a_ship_to_a_scenario_file_would_refuse_is_refused_in_one_sentence(value: str, sentence: str) -> None:
    assert refusal(SHIP_TO.check, value) == sentence


def test_an_id_is_bounded_and_never_read_as_an_option() -> None:
    assert refusal(WORKER_ID.check, "w" * 10_000) == "The worker id must be at most 64 characters (got 10,000)."
    assert refusal(WORKER_ID.check, " w1") == "The worker id must not start or end with spaces (got ' w1')."
    assert refusal(ORDER_ID.check, "-o1") == ("The order id must not start with '-', which a command line "
                                              "reads as an option (got '-o1').")
    assert refusal(CUSTOMER.check, "") == "The customer must not be empty or only spaces (got '')."
    assert refusal(SKU.check, "K\x00B") == "The sku must not contain control or invisible characters (got 'K\\x00B')."
    assert SHIP_TO.check("-5 Oak Ave, Unit 2") == "-5 Oak Ave, Unit 2"  # an address is no option
    assert [rule.check("Émile's 2nd shop") for rule in (ORDER_ID, CUSTOMER, SKU, WORKER_ID)] == [
        "Émile's 2nd shop"] * 4


def test_a_number_is_bounded_in_digits_before_it_is_converted() -> None:
    assert refusal(QUANTITY.parse, "9" * 5000) == (
        "The quantity must be from 1 to 100,000 (got a number of 5,000 digits).")
    assert refusal(QUANTITY.parse, " 3") == "The quantity must not start or end with spaces (got ' 3')."
    assert refusal(QUANTITY.parse, "３") == "The quantity must be a whole number, like 3 (got '３')."
    assert QUANTITY.parse("0" * 5000 + "3") == 3
    assert refusal(QUANTITY.check, 10 ** 30) == "The quantity must be from 1 to 100,000 (got a number of 31 digits)."
    assert refusal(AMOUNT.check, 0) == "The amount must be from $0.01 to $1,000,000.00 (got $0.00)."
    assert refusal(AMOUNT.parse, "1" * 5000) == (
        "The amount must be from $0.01 to $1,000,000.00 (got a number of 5,000 digits).")


def test_what_a_refusal_quotes_is_escaped_and_short() -> None:
    assert shown("a\x1b[31mb\u202e\U000e0041") == "'a\\x1b[31mb\\u202e\\U000e0041'"
    assert shown("y" * 1000) == "1,000 characters starting 'yyyyyyyyyyyyyyyyyyyy'"


def test_a_scenarios_values_and_an_operators_follow_one_rule() -> None:
    with pytest.raises(ValidationError) as refused:
        Order(id="o-1", customer="bob", ship_to="1 Main\u200bSt", items=())
    assert "The ship-to must not contain control or invisible characters (got '1 Main\\u200bSt')." in str(
        refused.value)
    with pytest.raises(ValidationError) as refused:
        Correction(order="o-1", quantity={"KB ": 2})
    assert "The sku must not start or end with spaces (got 'KB ')." in str(refused.value)


def test_a_record_stored_under_the_old_rules_still_reads() -> None:
    """An older ordersaga took a long sku, and an edit's address with a newline: its database must
    still open, so what is read back is held to the rule it was written under."""
    stored = {"order": {"id": "o-1", "customer": "bob", "ship_to": "1 Main\nSt",
                        "items": [{"sku": "K" * 100, "quantity": 1, "price_cents": 5}]}}
    record = OrderRecord.model_validate(stored, context=STORED)
    assert record.order.ship_to == "1 Main\nSt"
    with pytest.raises(ValidationError):
        OrderRecord.model_validate(stored)
    with pytest.raises(ValidationError):  # what was never accepted still is not
        OrderRecord.model_validate({**stored, "order": {**stored["order"], "id": " o-1"}}, context=STORED)


def test_a_duration_is_plain_seconds_within_its_bounds() -> None:
    from actors.saga.values import OUTAGE_LIMIT

    assert OUTAGE_LIMIT.check("300") == 300 and OUTAGE_LIMIT.check("2.5") == 2.5 and OUTAGE_LIMIT.check("0") == 0
    for typed in ("five", " 5", "1e3", "-1", "nan", "inf", "86401", "9" * 5000, "5\x1b[2J"):
        assert refusal(OUTAGE_LIMIT.check, typed) == (
            f"--outage-limit must be a number of seconds from 0 to 86400 (got {shown(typed)}).")
