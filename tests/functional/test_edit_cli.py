"""`ordersaga edit` then `retry` end to end: what it prints, what the retry does, what it
refuses, and databases written before orders had versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import events, order_of
from tests.functional.test_cli import without_follow_ups
from tests.invariants import assert_invariants
from tests.tampering import Doc, tamper

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def held(cli: Cli, tmp_path: Path) -> Path:
    """quantity_too_large without its follow-ups: o-1 out of stock, o-2 held at payment with 3 reserved."""
    db = tmp_path / "held.db"
    assert cli("run", without_follow_ups("quantity_too_large", tmp_path), "--db", db)[0] == 0
    return db


def report_of(cli: Cli, db: Path) -> dict:
    status, out, _ = cli("report", "--db", db, "--json")
    assert status == 0
    return json.loads(out)


def test_edit_says_what_changed_and_what_the_retry_does_then_retry_does_it(cli: Cli, held: Path) -> None:
    status, out, err = cli("edit", "o-2", "--quantity", "KEYBOARD=1", "--ship-to", "5 Oak Ave", "--db", held)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == (
        'Order o-2 is now version 2: ship_to changed from "9 Cedar Ct, Capital City" to "5 Oak Ave"; '
        "KEYBOARD quantity 3 -> 1. Retrying it releases 3 KEYBOARD, then reserves 1 KEYBOARD, "
        'charges $49.99 and ships to "5 Oak Ave".')
    assert '  version 1: 3 KEYBOARD, $149.97, to "9 Cedar Ct, Capital City" (attempt 1)' in out
    status, out, _ = cli("retry", "o-2", "--db", held)
    assert status == 0
    assert out.splitlines()[0] == ("Order o-2: the retry first releases 3 KEYBOARD, then attempt 2 "
                                   "starts at inventory.")
    assert "Order o-2 (erin, $49.99): completed, attempt 2" in out
    report = report_of(cli, held)
    assert_invariants(report)
    o = order_of(report, "o-2")
    assert [(v["version"], v["total_cents"], v["ship_to"], v["attempts"]) for v in o["versions"]] == [
        (1, 14997, "9 Cedar Ct, Capital City", [1]), (2, 4999, "5 Oak Ave", [2])]
    assert o["versions"][1]["at"] and "KEYBOARD quantity 3 -> 1" in o["versions"][1]["changes"]
    assert ("inventory", "compensate", "compensated") in events(o, attempt=1)
    assert cli("audit", "--db", held)[:2] == (0, "2 orders audited, 0 findings\n")
    status, out, _ = cli("history", "o-2", "--db", held)
    assert "#1  order      edit       succeeded    version 2: ship_to changed" in out


def test_edit_and_retry_of_a_held_order_out_of_stock_resume_at_inventory(cli: Cli, held: Path) -> None:
    status, out, _ = cli("edit", "o-1", "--quantity", "MONITOR=2", "--db", held)
    assert status == 0 and "Retrying it resumes at inventory: reserves 2 MONITOR" in out
    assert cli("retry", "o-1", "--db", held)[1].startswith("Order o-1: attempt 2 started at inventory.")
    report = report_of(cli, held)
    assert order_of(report, "o-1")["status"] == "completed"
    assert_invariants(report)


@pytest.mark.parametrize("args, refusal", [
    ((), "Say what to correct in order o-2: its address, the quantity of an item, or an item to remove."),
    (("--quantity", "KEYBOARD=0"), "The quantity of KEYBOARD must be from 1 to 100,000 (got 0); "
                                    "to take an item off the order, remove it."),
    (("--quantity", "KEYBOARD"), "--quantity 'KEYBOARD' is not a sku and a whole number of units; "
                                 "give one like KEYBOARD=2."),
    (("--quantity", "KEYBOARD=1", "--quantity", "KEYBOARD=2"),
     "--quantity gives KEYBOARD two quantities (1 and 2)."),
    (("--quantity", "MONITOR=1"), "Order o-2 has no item MONITOR; a correction can change the quantity "
                                  "of an item or remove one, not add one."),
    (("--remove", "KEYBOARD"), "Order o-2 must keep at least one item; this correction removes them all."),
    (("--ship-to", ""), "The ship-to must not be empty or only spaces (got '')."),
    (("--quantity", "KEYBOARD=3"), "Order o-2 already is as this correction asks; it changes nothing."),
])
def test_a_bad_edit_is_one_sentence_exit_2_and_writes_nothing(cli: Cli, held: Path, args: tuple[str, ...],
                                                              refusal: str) -> None:
    before = held.read_bytes()
    assert cli("edit", "o-2", *args, "--db", held) == (2, "", f"ordersaga: {refusal}\n")
    assert held.read_bytes() == before


def test_a_completed_order_cannot_be_edited(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "done.db"
    cli("run", "happy_path", "--db", db)
    assert cli("edit", "o-1", "--ship-to", "Elsewhere", "--db", db) == (
        2, "", "ordersaga: Order o-1 is completed; only a failed or held order can be corrected.\n")


def test_a_database_from_before_versions_is_edited_and_retried(cli: Cli, held: Path, tmp_path: Path) -> None:
    def as_stored_before_versions(record: Doc) -> None:
        del record["earlier_versions"]
        for attempt in record["attempts"]:
            del attempt["version"], attempt["redo_from"]

    old = tamper(held, tmp_path, ("order/o-1", as_stored_before_versions),
                 ("order/o-2", as_stored_before_versions))
    assert cli("audit", "--db", old)[0] == 0
    assert cli("edit", "o-2", "--quantity", "KEYBOARD=1", "--db", old)[0] == 0
    assert cli("retry", "o-2", "--db", old)[0] == 0
    report = report_of(cli, old)
    assert [v["attempts"] for v in order_of(report, "o-2")["versions"]] == [[1], [2]]
    assert_invariants(report)
    assert cli("audit", "--db", old)[:2] == (0, "2 orders audited, 0 findings\n")


def test_run_applies_a_scenario_edit_and_reports_the_version(cli: Cli, tmp_path: Path) -> None:
    status, out, _ = cli("run", "address_undeliverable", "--db", tmp_path / "a.db")
    assert status == 0
    assert ('then edit o-1 (ship to "12 Harbour Rd, Springfield"): Order o-1 is now version 2: ship_to '
            'changed from "12 Nowhere Lane, Atlantis" to "12 Harbour Rd, Springfield".') in out
    assert "then retry o-1: Order o-1: attempt 2 started at shipping." in out
    assert "completed    attempts 2, version 2" in out


BAD_EDITS = """name = "bad edits"
[stock]
KB = 1
[accounts]
bob = 1
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 1, price_cents = 5 }]
[[then]]
edit = { order = "o-7", ship_to = "y" }
[[then]]
edit = { order = "o-1", quantity = { KB = 0, MOUSE = 2 }, remove = ["DESK"] }
[[then]]
edit = { order = "o-1", ship_to = " " }
[[then]]
edit = { order = "o-1" }
"""


def test_a_scenario_edit_is_checked_field_by_field_before_anything_is_written(cli: Cli, tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(BAD_EDITS)
    status, out, err = cli("run", scenario, "--db", tmp_path / "s.db")
    assert (status, out) == (2, "")
    assert [line.removeprefix(f"ordersaga: {scenario}: ") for line in err.splitlines()] == [
        "then[1].edit.quantity.KB: The quantity must be from 1 to 100,000 (got 0).",
        "then[2].edit.ship_to: The ship-to must not be empty or only spaces (got ' ').",
        "then[3].edit: an edit needs at least one of ship_to, quantity, remove",
        "then[0].edit.order: no order 'o-7' in [[orders]]",
        "then[1].edit.quantity: order 'o-1' has no item 'MOUSE'; an edit can change or remove an item, "
        "not add one",
        "then[1].edit.remove: order 'o-1' has no item 'DESK'; an edit can change or remove an item, "
        "not add one"]
    assert not (tmp_path / "s.db").exists()
