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

from actors.domain import format_cents
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
    assert "failed" in cli("cancel", "o-2", "--db", db)[1]
    report = json.loads(cli("report", "--db", db, "--json")[1])
    resumed = order_of(report, "o-1")
    assert resumed["status"] == "completed"
    assert {step for step, _, _ in events(resumed, attempt=2)} == {"payment", "shipping"}
    assert_invariants(report)


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
    (("top-up", "bob", "12.345"), "'12.345' is not an amount in dollars"),
    (("top-up", "bob", "-5"), "'-5' is not an amount in dollars"),
    (("restock", "KB", "0"), "The quantity must be at least 1."),
])
def test_bad_numbers_are_refused_before_anything_runs(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                                      message: str) -> None:
    status, _, err = cli(*args, "--db", tmp_path / "none.db")
    assert status == 2 and message in err
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
     ["orders[0].items[0].quantity: must be at least 1 (got 0)",
      "orders[0].items[0].price_cents: must be at least 0 (got -1)",
      "orders[0].customer: 'b' has no entry in [accounts]",
      "orders[0].items[0].sku: 'KB' has no entry in [stock]"]),
    ('name = "a"\n[accounts]\nbob = -5\n', ["accounts.bob: must be at least 0 (got -5)"]),
    (BEYOND_THE_CAPS, [
        "stock.KB: must be at most 1,000,000,000 (got 10000000000)",
        "accounts.bob: must be at most 100,000,000,000 cents, $1,000,000,000.00 (got 1000000000000)",
        "orders[0].items[0].quantity: must be at most 100,000 (got 1000000000000000000000000000000)",
        "orders[0].items[0].price_cents: must be at most 100,000,000 cents, $1,000,000.00 "
        "(got 9223372036854775808)",
        "orders[1].items: the order's units of KB must be at most 100,000 (got 110,000)",
        "orders[2].items: the order's total must be at most $1,000,000.00 (got $1,200,000.00)",
        "faults[0].times: must be at most 100,000 (got 1000000)",
        "then[0].top_up.amount_cents: must be at most 100,000,000 cents, $1,000,000.00 (got 100000001)",
        "then[1].restock.quantity: must be at most 100,000 (got 100001)"]),
    ('name = "slow"\n[latency_ms]\npayment = 86400000\n',
     ["latency_ms.payment: must be at most 3,600,000 (got 86400000)"]),
    (NUMBERS_AS_TEXT, ["stock.KB: input should be a valid integer (got '3')",
                       "orders[0].items[0].quantity: input should be a valid integer (got '2')",
                       "orders[0].items[0].price_cents: input should be a valid integer (got 4999.0)",
                       "faults[0].recoverable: input should be a valid boolean (got 'yes')",
                       "faults[0].times: input should be a valid integer (got True)"]),
    (UNTYPEABLE_NAMES, [
        "stock: a name must not start or end with whitespace (got ' KB')",
        "orders[0].id: must not be empty or only whitespace (got '')",
        "orders[0].customer: must not start or end with whitespace (got 'bob ')",
        "orders[0].ship_to: must not be empty or only whitespace (got '  ')",
        "orders[0].items[0].sku: must be printable, without control characters (got 'K\\x00B')",
        "faults[0].order: must not start or end with whitespace (got 'o-1\\t')",
        "then[0].top_up.customer: must be printable, without control characters (got 'b\\nob')"]),
    (BAD_THEN_AND_UNKNOWN_NAMES, [
        "then[0]: each [[then]] entry needs exactly one of top_up, restock, retry, cancel",
        "then[1].restock.quantity: must be at least 1 (got 0)",
        "orders[0].customer: 'carol' has no entry in [accounts]",
        "then[1].restock.sku: 'MOUSE' has no entry in [stock]"]),
    ('name = "p"\nrecoverable_failures = "later"\n', ["recoverable_failures: input should be 'compensate' or 'hold'"]),
    ('name = "t"\n[[then]]\nretry = "o-7"\n', ["then[0].retry: no order 'o-7' in [[orders]]"]),
    ('name = "u"\ncolour = "red"\n', ["colour: unknown field"]),
    ('name = "x\n', ["not valid TOML"]),
], ids=["unknown names", "below the bounds", "negative balance", "beyond the caps", "slow", "numbers as text",
        "untypeable names", "bad then and unknown names", "unknown policy", "unknown order", "unknown field",
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
    assert status == 2 and "no_such_scenario: no such scenario file" in err


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
