"""The headless CLI end to end: each user story, the report, and every kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from actors.saga.domain import format_cents
from actors import create_database
from app.scenario import parse_scenario
from storage.store import DocumentStore
from tests.conftest import events, order_of
from tests.invariants import assert_invariants

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def without_follow_ups(name: str, tmp_path: Path) -> Path:
    """A copy of a library scenario whose [[then]] actions are left to the test."""
    text = (SCENARIOS / f"{name}.toml").read_text()
    copy = tmp_path / f"{name}.toml"
    copy.write_text(text.split("[[then]]")[0])
    return copy


def test_us001_run_reports_completed_orders_as_json(cli: Cli, tmp_path: Path) -> None:
    status, out, err = cli("run", "happy_path", "--db", tmp_path / "s.db", "--json")
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert [o["status"] for o in report["orders"]] == ["completed"] * 3
    assert order_of(report, "o-2")["total_cents"] == 2 * 1999 + 4999
    assert_invariants(report)


def test_us002_history_shows_the_compensations_in_reverse(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert cli("run", "shipping_failure", "--db", db)[0] == 0
    status, out, _ = cli("history", "o-1", "--db", db)
    assert status == 0
    lines = [line.split() for line in out.splitlines()]
    compensations = [words[3] for words in lines if len(words) > 4 and words[4] == "compensate"]
    assert compensations == ["payment", "payment", "inventory", "inventory"]
    assert "failure: Order o-1 failed at shipping: Carrier unavailable." in out


def test_us003_status_lists_each_step_and_the_failure(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", "card_declined", "--db", db)
    status, out, _ = cli("status", "o-1", "--db", db)
    assert status == 0
    assert "Order o-1 (dave, $89.99): failed, attempt 1" in out
    assert "payment    failed" in out and "inventory  compensated" in out
    assert "failed at payment: Card declined by issuer (not recoverable)" in out


def test_us004_top_up_then_retry_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", without_follow_ups("insufficient_funds", tmp_path), "--db", db)
    assert cli("top-up", "bob", "100", "--db", db)[1].startswith("Topped up bob by $100.00")
    status, out, _ = cli("retry", "o-1", "--db", db)
    assert status == 0
    assert "attempt 2 started at inventory" in out and "completed, attempt 2" in out


def test_us004_a_held_order_resumes_at_payment_or_is_cancelled(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _, out, _ = cli("run", without_follow_ups("insufficient_funds_hold", tmp_path), "--db", db, "--json")
    assert {o["status"] for o in json.loads(out)["orders"]} == {"on_hold"}
    cli("top-up", "bob", "100", "--db", db)
    assert "attempt 2 started at payment" in cli("retry", "o-1", "--db", db)[1]
    assert "Order o-2 (carol, $99.98): cancelled, attempt 1" in cli("cancel", "o-2", "--db", db)[1]
    report = json.loads(cli("report", "--db", db, "--json")[1])
    resumed = order_of(report, "o-1")
    assert resumed["status"] == "completed"
    assert {step for step, _, _ in events(resumed, attempt=2)} == {"payment", "shipping"}
    assert_invariants(report)


@pytest.mark.parametrize("scenario, order, refusal, fix", [
    ("insufficient_funds", "o-1", "its payment failure is not resolved yet (balance $10.00, order $49.99); "
                                  "top up bob by at least $39.99 first", ("top-up", "bob", "39.99")),
    ("out_of_stock", "o-2", "its inventory failure is not resolved yet (stock 2 MONITOR, order 3); "
                            "restock MONITOR by at least 1 first", ("restock", "MONITOR", "1")),
], ids=["short of money", "short of stock"])
def test_a_retry_before_its_shortfall_is_made_up_is_refused_unless_forced(
        cli: Cli, tmp_path: Path, scenario: str, order: str, refusal: str, fix: tuple[str, ...]) -> None:
    db = tmp_path / "s.db"
    cli("run", without_follow_ups(scenario, tmp_path), "--db", db)
    before = db.read_bytes()
    status, out, err = cli("retry", order, "--db", db)
    assert (status, out) == (2, "")
    assert err == f"ordersaga: Order {order} was not retried: {refusal}, or pass --force to retry anyway.\n"
    assert db.read_bytes() == before, "a refused retry writes nothing"

    cli(*fix, "--db", db)  # just enough
    status, out, _ = cli("retry", order, "--db", db)
    assert status == 0 and f"Order {order}: attempt 2 started" in out and "completed, attempt 2" in out


def test_a_forced_retry_runs_and_fails_again_with_one_more_notice(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", without_follow_ups("insufficient_funds_hold", tmp_path), "--db", db)
    status, out, _ = cli("retry", "o-1", "--db", db, "--force")
    assert status == 0 and "attempt 2 started at payment" in out and "on hold, attempt 2" in out
    notices = json.loads(cli("status", "o-1", "--db", db, "--json")[1])["notifications"]
    assert [n["kind"] for n in notices] == ["on_hold", "on_hold"]


def test_a_retry_after_a_failure_the_engine_cannot_see_is_not_held_back(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", without_follow_ups("shipping_failure", tmp_path), "--db", db)  # the carrier was down
    status, out, _ = cli("retry", "o-1", "--db", db)
    assert status == 0 and "completed, attempt 2" in out


def test_a_cancelled_order_leaves_the_live_journal_for_the_archive_and_reads_the_same(
        cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", "insufficient_funds_hold", "--db", db)  # o-1 resumed and completed, o-2 cancelled
    store = DocumentStore(db, read_only=True)
    try:
        assert store.peek("order/o-2") is None and store.archived("o-2") is not None
    finally:
        store.close()
    assert "Order o-2 (carol, $99.98): cancelled, attempt 1" in cli("status", "o-2", "--db", db)[1]
    assert cli("list", "--db", db, "--status", "cancelled")[1].splitlines()[1].split()[0] == "o-2"
    assert cli("audit", "--db", db)[1].strip() == "2 orders audited, 0 findings"


def test_us005_list_and_report_show_every_order(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _, summary, _ = cli("run", "out_of_stock", "--db", db)
    assert "then restock MONITOR by 5: Restocked MONITOR by 5; 7 available." in summary
    assert "Orders: 2 (2 completed)" in summary
    status, listing, _ = cli("list", "--db", db)
    header, *lines = listing.splitlines()
    assert status == 0 and header.split()[0] == "ORDER"
    assert sorted(line.split()[0] for line in lines) == ["o-1", "o-2"]


def test_a_follow_up_that_cannot_apply_is_reported_and_the_run_goes_on(cli: Cli, tmp_path: Path) -> None:
    status, out, _ = cli("run", "card_declined", "--db", tmp_path / "s.db")
    assert status == 0
    assert "then retry o-1: not applied. Order o-1 cannot be retried" in out


@pytest.mark.parametrize("args, message", [
    (("retry", "o-1"), "Order o-1 is completed; only a failed or held order can be retried."),
    (("cancel", "o-1"), "Order o-1 is completed; only an order on hold can be cancelled."),
    (("status", "o-404"), "There is no order 'o-404' in this database."),
    (("top-up", "nobody", "5"), "There is no customer 'nobody' in this database."),
    (("restock", "NOPE", "5"), "There is no sku 'NOPE' in this database."),
])
def test_refused_operations_say_why_and_exit_2(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                               message: str) -> None:
    db = tmp_path / "s.db"
    cli("run", "happy_path", "--db", db)
    status, out, err = cli(*args, "--db", db)
    assert (status, out, err.strip()) == (2, "", f"ordersaga: {message}")


@pytest.mark.parametrize("args, message", [
    (("top-up", "bob", "12.345"), "The amount must be in dollars, like 25.00 (got '12.345')."),
    (("top-up", "bob", "-5"), "The amount must be from $0.01 to $1,000,000.00 (got -$5.00)."),
    (("restock", "KB", "0"), "The quantity must be from 1 to 100,000 (got 0)."),
])
def test_bad_numbers_are_refused_before_anything_runs(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                                      message: str) -> None:
    status, _, err = cli(*args, "--db", tmp_path / "none.db")
    assert (status, err) == (2, f"ordersaga: {message}\n")
    assert not (tmp_path / "none.db").exists()


BAD_SCENARIO = """
name = "bad"
[stock]
KB = 3
[accounts]
bob = 100
[[orders]]
id = "o-1"
customer = "carol"
ship_to = "x"
items = [{ sku = "MOUSE", quantity = 1, price_cents = 5 }]
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 1, price_cents = 5 }]
"""

# Past the caps of one top-up ($1,000,000.00) or one restock (100,000 units): never resolvable.
BEYOND_THE_CAPS = """
name = "huge"
[stock]
KB = 10000000000
[accounts]
bob = 1000000000000
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 1000000000000000000000000000000, price_cents = 9223372036854775808 }]
[[orders]]
id = "o-2"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 60000, price_cents = 1 }, { sku = "KB", quantity = 50000, price_cents = 1 }]
[[orders]]
id = "o-3"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 2, price_cents = 60000000 }]
[[faults]]
service = "payment"
times = 1000000
[[then]]
top_up = { customer = "bob", amount_cents = 100000001 }
[[then]]
restock = { sku = "KB", quantity = 100001 }
"""

NUMBERS_AS_TEXT = """
name = "text"
[stock]
KB = "3"
[accounts]
bob = 100
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = "2", price_cents = 4999.0 }]
[[faults]]
service = "payment"
recoverable = "yes"
times = true
"""

# Names that cannot be typed on a command line, or look like another name.
UNTYPEABLE_NAMES = """
name = "names"
[stock]
" KB" = 3
[accounts]
bob = 100
[[orders]]
id = ""
customer = "bob "
ship_to = "  "
items = [{ sku = "K\\u0000B", quantity = 1, price_cents = 5 }]
[[faults]]
service = "payment"
order = "o-1\\t"
[[then]]
top_up = { customer = "b\\nob", amount_cents = 5 }
"""

# A bad [[then]] does not hide the unknown names elsewhere.
BAD_THEN_AND_UNKNOWN_NAMES = """
name = "then"
[stock]
KB = 3
[accounts]
bob = 100
[[orders]]
id = "o-1"
customer = "carol"
ship_to = "x"
items = [{ sku = "KB", quantity = 1, price_cents = 5 }]
[[then]]
retry = "o-1"
cancel = "o-1"
[[then]]
restock = { sku = "MOUSE", quantity = 0 }
"""


@pytest.mark.parametrize("text, problems", [
    (BAD_SCENARIO, ["orders[0].customer: 'carol' has no entry in [accounts]",
                    "orders[0].items[0].sku: 'MOUSE' has no entry in [stock]",
                    "orders[1].id: duplicate order id 'o-1'"]),
    ('name = "q"\n[[orders]]\nid = "o-1"\ncustomer = "b"\nship_to = "x"\n'
     'items = [{ sku = "KB", quantity = 0, price_cents = -1 }]\n',
     ["orders[0].items[0].quantity: The quantity must be from 1 to 100,000 (got 0).",
      "orders[0].items[0].price_cents: must be at least 0 (got -1)",
      "orders[0].customer: 'b' has no entry in [accounts]",
      "orders[0].items[0].sku: 'KB' has no entry in [stock]"]),
    ('name = "a"\n[accounts]\nbob = -5\n', ["accounts.bob: must be at least 0 (got -5)"]),
    (BEYOND_THE_CAPS, [
        "stock.KB: must be at most 1,000,000,000 (got 10000000000)",
        "accounts.bob: must be at most 100,000,000,000 cents, $1,000,000,000.00 (got 1000000000000)",
        "orders[0].items[0].quantity: The quantity must be from 1 to 100,000 (got a number of 31 digits).",
        "orders[0].items[0].price_cents: must be at most 100,000,000 cents, $1,000,000.00 "
        "(got 9223372036854775808)",
        "orders[1].items: the order's units of KB must be at most 100,000 (got 110,000)",
        "orders[2].items: the order's total must be at most $1,000,000.00 (got $1,200,000.00)",
        "faults[0].times: must be at most 100,000 (got 1000000)",
        "then[0].top_up.amount_cents: The amount must be from $0.01 to $1,000,000.00 (got $1,000,000.01).",
        "then[1].restock.quantity: The quantity must be from 1 to 100,000 (got 100,001)."]),
    ('name = "slow"\n[latency_ms]\npayment = 86400000\n',
     ["latency_ms.payment: must be at most 3,600,000 (got 86400000)"]),
    (NUMBERS_AS_TEXT, ["stock.KB: input should be a valid integer (got '3')",
                       "orders[0].items[0].quantity: input should be a valid integer (got '2')",
                       "orders[0].items[0].price_cents: input should be a valid integer (got 4999.0)",
                       "faults[0].recoverable: input should be a valid boolean (got 'yes')",
                       "faults[0].times: input should be a valid integer (got True)"]),
    (UNTYPEABLE_NAMES, [
        "stock: The sku must not start or end with spaces (got ' KB').",
        "orders[0].id: The order id must not be empty or only spaces (got '').",
        "orders[0].customer: The customer must not start or end with spaces (got 'bob ').",
        "orders[0].ship_to: The ship-to must not be empty or only spaces (got '  ').",
        "orders[0].items[0].sku: The sku must not contain control or invisible characters (got 'K\\x00B').",
        "faults[0].order: The order id must not contain control or invisible characters (got 'o-1\\t').",
        "then[0].top_up.customer: The customer must not contain control or invisible characters "
        "(got 'b\\nob')."]),
    (BAD_THEN_AND_UNKNOWN_NAMES, [
        "then[0]: each [[then]] entry needs exactly one of top_up, restock, retry, cancel",
        "then[1].restock.quantity: The quantity must be from 1 to 100,000 (got 0).",
        "orders[0].customer: 'carol' has no entry in [accounts]",
        "then[1].restock.sku: 'MOUSE' has no entry in [stock]"]),
    ('name = "p"\nrecoverable_failures = "later"\n', ["recoverable_failures: input should be 'compensate' or 'hold'"]),
    ('name = "p"\n[stock]\nKB = 1\n[accounts]\nbob = 1\n[[orders]]\nid = "o-1"\ncustomer = "bob"\nship_to = "x"\n'
     'items = [{ sku = "KB", quantity = 1, price_cents = 1 }]\nrecoverable_failures = "wait"\n',
     ["orders[0].recoverable_failures: input should be 'compensate' or 'hold' (got 'wait')"]),
    ('name = "t"\n[[then]]\nretry = "o-7"\n', ["then[0].retry: no order 'o-7' in [[orders]]"]),
    ('name = "u"\ncolour = "red"\n', ["colour: unknown field"]),
    ('name = "x\n', ["not valid TOML"]),
], ids=["unknown names", "below the bounds", "negative balance", "beyond the caps", "slow", "numbers as text",
        "untypeable names", "bad then and unknown names", "unknown policy", "unknown order policy",
        "unknown order", "unknown field",
        "not TOML"])
def test_a_bad_scenario_names_file_and_field_per_problem_and_writes_nothing(
        cli: Cli, tmp_path: Path, text: str, problems: list[str]) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    status, out, err = cli("run", scenario, "--db", tmp_path / "s.db")
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == len(problems)
    for line, problem in zip(lines, problems):
        assert line.startswith(f"ordersaga: {scenario}: ") and problem in line
    assert not (tmp_path / "s.db").exists()


def test_a_scenario_saved_with_a_byte_order_mark_runs(cli: Cli, tmp_path: Path) -> None:
    scenario = tmp_path / "bom.toml"
    scenario.write_text((SCENARIOS / "happy_path.toml").read_text(), encoding="utf-8-sig")
    status, out, err = cli("run", scenario, "--db", tmp_path / "s.db")
    assert (status, err) == (0, "") and "Orders: 3 (3 completed)" in out


def test_a_scenario_path_that_is_no_regular_file_is_refused_unread(tmp_path: Path) -> None:
    """A FIFO nobody writes to would block a reader forever: the process must end at once."""
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, "-m", "app", "run", str(fifo), "--db", str(tmp_path / "s.db")],
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"ordersaga: {fifo}: not a regular file, so not a scenario file\n"
    assert not (tmp_path / "s.db").exists()


def test_a_scenario_file_larger_than_any_scenario_is_refused(cli: Cli, tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as file:
        file.truncate(64 * 2**20 + 1)  # sparse: no disk used
    status, out, err = cli("run", huge, "--db", tmp_path / "s.db")
    assert (status, out) == (2, "")
    assert err == f"ordersaga: {huge}: larger than 64 MB, far more than any scenario needs\n"
    assert not (tmp_path / "s.db").exists()


def test_run_refuses_an_existing_database_unless_replace(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    cli("run", "happy_path", "--db", db)
    before = db.read_bytes()
    status, _, err = cli("run", "race_last_unit", "--db", db)
    assert status == 2 and "a database already exists there; pass --replace" in err
    assert db.read_bytes() == before
    assert cli("run", "race_last_unit", "--db", db, "--replace")[0] == 0
    assert "heidi" in cli("list", "--db", db)[1]


def test_commands_on_a_missing_database_or_scenario_say_so(cli: Cli, tmp_path: Path) -> None:
    status, _, err = cli("report", "--db", tmp_path / "nothing.db")
    assert status == 2 and err.strip() == f"ordersaga: {tmp_path / 'nothing.db'}: no such database."
    assert not (tmp_path / "nothing.db").exists()
    status, _, err = cli("run", "no_such_scenario", "--db", tmp_path / "s.db")
    assert status == 2 and err.startswith("ordersaga: no_such_scenario: no such scenario file, and no "
                                          "scenario of that name ships with ordersaga (address_undeliverable, ")
    assert err.count("\n") == 1 and " demo, happy_path, " in err
    status, _, err = cli("run", "no/such.toml", "--db", tmp_path / "s.db")
    assert (status, err) == (2, "ordersaga: no/such.toml: no such scenario file\n")


def test_a_crash_kills_the_run_and_report_resumes_it(tmp_path: Path) -> None:
    """The real process dies mid-payment; the next command finishes the order, charging once."""
    db = tmp_path / "s.db"
    command = [sys.executable, "-m", "app"]
    run = subprocess.run([*command, "run", "crash_recovery", "--db", str(db)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == -9 and "injected crash at payment execute of o-1" in run.stderr
    report = subprocess.run([*command, "report", "--db", str(db), "--json"], capture_output=True,
                            text=True, timeout=60)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    o = order_of(data, "o-1")
    assert o["status"] == "completed"
    assert ("payment", "execute", "retrying") in events(o)
    assert len(data["charges"]) == 1
    assert_invariants(data)


def assert_aligned(header: str, line: str, order: dict[str, Any]) -> None:
    """Each column's value starts where its heading does (the total ends where TOTAL does)."""
    total = format_cents(order["total_cents"])
    assert line.index(order["id"]) == header.index("ORDER")
    assert line.index(order["customer"], len(order["id"]) + 2) == header.index("CUSTOMER")
    assert line.index(total) + len(total) == header.index("TOTAL") + len("TOTAL")
    assert line.index(order["status"].replace("_", " "), line.index(total)) == header.index("STATUS")
    assert line.index("attempts ") == header.index("ATTEMPTS")


LONG_NAMES = """
name = "long names"
[stock]
KB = 5
[accounts]
bartholomew-the-third = 100000000
bob = 100
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "x"
items = [{ sku = "KB", quantity = 1, price_cents = 999 }]
[[orders]]
id = "an-order-with-a-long-id"
customer = "bartholomew-the-third"
ship_to = "x"
items = [{ sku = "KB", quantity = 2, price_cents = 30000000 }]
"""


def test_the_summary_and_the_list_name_their_columns_above_aligned_lines(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _, summary, _ = cli("run", "shipping_failure", "--db", db)
    report = json.loads(cli("report", "--db", db, "--json")[1])
    lines = summary.splitlines()
    header = lines.index("  ORDER      CUSTOMER        TOTAL  STATUS       ATTEMPTS, STEP, FAILURE")
    assert lines[header - 1].startswith("Orders: ")
    assert_aligned(lines[header], lines[header + 1], order_of(report, "o-1"))

    scenario = tmp_path / "long.toml"
    scenario.write_text(LONG_NAMES)  # an id, a name and a total wider than the usual columns
    cli("run", scenario, "--db", db, "--replace")
    header, *lines = cli("list", "--db", db)[1].splitlines()
    orders = json.loads(cli("list", "--db", db, "--json")[1])
    assert len(lines) == len(orders) == 2
    for line, order in zip(lines, orders):
        assert_aligned(header, line, order)


def test_version_is_the_installed_one_and_not_taken_for_the_dashboard(cli: Cli, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cli("--version") == (0, f"ordersaga {declared}\n", "")
    process = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)
    assert (process.returncode, process.stdout, process.stderr) == (0, f"ordersaga {declared}\n", "")

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)  # a source tree run without installing
    assert cli("--version") == (0, f"ordersaga {declared}\n", "")


@pytest.mark.parametrize("command", ["status", "history"])
def test_status_and_history_as_json_are_the_orders_entry_in_the_report(cli: Cli, tmp_path: Path,
                                                                       command: str) -> None:
    db = tmp_path / "s.db"
    cli("run", "shipping_failure", "--db", db)
    report = json.loads(cli("report", "--db", db, "--json")[1])
    status, out, err = cli(command, "o-1", "--db", db, "--json")
    assert (status, err) == (0, "")
    assert json.loads(out) == order_of(report, "o-1")
    assert json.loads(out)["failure"]["reason"] == "Carrier unavailable"


# ann's two orders complete, and bob's o-4; bob cannot pay for o-2 or o-5, which fail.
FIVE_ORDERS = {
    "name": "five orders",
    "stock": {"KB": 10},
    "accounts": {"ann": 100000, "bob": 1500},
    "orders": [{"id": f"o-{n}", "customer": customer, "ship_to": "x",
                "items": [{"sku": "KB", "quantity": 1, "price_cents": cents}]}
               for n, customer, cents in [(1, "ann", 1000), (2, "bob", 2000), (3, "ann", 1000),
                                          (4, "bob", 1000), (5, "bob", 5000)]],
}
EVERY_ORDER = [f"o-{n}" for n in range(1, 6)]


@pytest.fixture
def never_started(tmp_path: Path) -> Path:
    """A database of FIVE_ORDERS that no command has opened yet: every order pending."""
    db = tmp_path / "five.db"
    create_database(db, parse_scenario(FIVE_ORDERS, "five orders"))
    return db


@pytest.fixture
def five_orders(cli: Cli, never_started: Path) -> Path:
    """FIVE_ORDERS run, then o-5 and o-2 retried in that order (failing again): the last changes."""
    assert cli("report", "--db", never_started)[0] == 0
    for order in ("o-5", "o-2"):
        assert "failed, attempt 2" in cli("retry", order, "--db", never_started, "--force")[1]
    return never_started


def listed(cli: Cli, db: Path, *args: str) -> list[str]:
    """The ids `ordersaga list` shows, in its order; its JSON form shows the same."""
    status, out, err = cli("list", "--db", db, *args)
    assert (status, err) == (0, "")
    header, *lines = out.splitlines()
    assert header.startswith("  ORDER ")
    ids = [line.split()[0] for line in lines if line.startswith("  ")]
    assert [order["id"] for order in json.loads(cli("list", "--db", db, "--json", *args)[1])] == ids
    return ids


def test_list_shows_the_last_changed_first_and_filters_by_status_and_customer(cli: Cli,
                                                                              five_orders: Path) -> None:
    newest_first = listed(cli, five_orders)
    assert newest_first[:2] == ["o-2", "o-5"] and sorted(newest_first) == EVERY_ORDER
    oldest_first = listed(cli, five_orders, "--oldest-first")
    assert oldest_first[-2:] == ["o-5", "o-2"] and sorted(oldest_first) == EVERY_ORDER
    assert listed(cli, five_orders, "--customer", "bob") == ["o-2", "o-5", "o-4"]
    assert listed(cli, five_orders, "--status", "failed") == ["o-2", "o-5"]
    assert sorted(listed(cli, five_orders, "--status", "completed", "--customer", "ann")) == ["o-1", "o-3"]
    assert listed(cli, five_orders, "--status", "failed,completed") == newest_first
    assert listed(cli, five_orders, "--status", "completed", "--status", "failed") == newest_first
    assert cli("list", "--db", five_orders, "--status", "on hold", "--customer", "ann") == (
        0, "No order matches these filters (5 orders in this database).\n", "")


def test_list_shows_orders_never_started_in_id_order(cli: Cli, never_started: Path) -> None:
    for order in ([], ["--oldest-first"]):
        status, out, _ = cli("list", "--db", never_started, "--no-resume", *order)
        assert status == 0 and [line.split()[0] for line in out.splitlines()[1:]] == EVERY_ORDER


def test_list_limit_says_how_many_it_left_out(cli: Cli, five_orders: Path) -> None:
    status, out, _ = cli("list", "--db", five_orders, "--limit", "2")
    assert status == 0 and out.splitlines()[-1] == "showing 2 of 5 orders; --limit to see more"
    assert listed(cli, five_orders, "--limit", "2") == ["o-2", "o-5"]
    assert listed(cli, five_orders, "--limit", "3", "--oldest-first") == listed(
        cli, five_orders, "--oldest-first")[:3]
    assert cli("list", "--db", five_orders, "--customer", "bob", "--limit", "1")[1].splitlines()[-1] == (
        "showing 1 of 3 matching orders; --limit to see more")
    assert "showing" not in cli("list", "--db", five_orders, "--limit", "5")[1]


@pytest.mark.parametrize("args, message", [
    (("--status", "shipped"), "--status 'shipped' is not a status of an order; the statuses are pending, "
                              "running, completed, compensating, failed, on_hold, cancelled."),
    (("--status", "failed,"), "--status '' is not a status of an order;"),
    (("--limit", "0"), "--limit must be a whole number of orders, at least 1 (got '0')."),
    (("--limit", "-3"), "--limit must be a whole number of orders, at least 1 (got '-3')."),
    (("--limit", "ten"), "--limit must be a whole number of orders, at least 1 (got 'ten')."),
])
def test_a_bad_list_filter_is_one_line_before_anything_resumes(cli: Cli, never_started: Path,
                                                                args: tuple[str, ...], message: str) -> None:
    before = never_started.read_bytes(), sorted(os.listdir(never_started.parent))
    status, out, err = cli("list", "--db", never_started, *args)
    assert (status, out) == (2, "") and err.startswith(f"ordersaga: {message}") and err.count("\n") == 1
    assert (never_started.read_bytes(), sorted(os.listdir(never_started.parent))) == before


def test_list_of_a_customer_the_database_does_not_have_says_so(cli: Cli, five_orders: Path) -> None:
    assert cli("list", "--db", five_orders, "--customer", "carol") == (
        2, "", "ordersaga: There is no customer 'carol' in this database.\n")
