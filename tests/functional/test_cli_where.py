"""`--where QUERY` on the command line: `list` shows what the query means, and `retry` and
`cancel` act on all of it, first saying how many and which, as the single command would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.carrier import carrier_database

from tests.functional.test_cli import Cli, listed


@pytest.fixture
def carrier(tmp_path: Path) -> Path:
    """12 orders of c02, c03, c01 in turn; the carrier failed o-1 to o-8."""
    return carrier_database(tmp_path, orders=12, failed=8)


def test_list_where_shows_what_the_query_means(cli: Cli, carrier: Path) -> None:
    assert sorted(listed(cli, carrier, "--where", "status:failed customer:c01")) == ["o-3", "o-6"]
    assert sorted(listed(cli, carrier, "--where", "reason:~CARRIER attempt:1 o-1")) == ["o-1"]
    assert len(listed(cli, carrier, "--where", "status:completed updated:<1h")) == 4
    assert cli("list", "--db", carrier, "--where", "status:completed attempt:>1") == (
        0, "No order matches these filters (12 orders in this database).\n", "")


def test_a_query_that_cannot_be_read_is_one_line_and_touches_nothing(cli: Cli, carrier: Path) -> None:
    before = carrier.read_bytes(), sorted(os.listdir(carrier.parent))
    status, out, err = cli("list", "--db", carrier, "--where", "status:failed colour:red")
    assert (status, out) == (2, "")
    assert err == ("ordersaga: --where: 'colour:red' names no field of an order; the fields are id, "
                   "customer, status, step, reason, attempt, total, updated (or leave out the colon to "
                   "look for the word anywhere).\n")
    assert (carrier.read_bytes(), sorted(os.listdir(carrier.parent))) == before


def test_retry_where_previews_then_retries_each_and_sums_up_grouped_by_reason(cli: Cli, carrier: Path) -> None:
    before = carrier.read_bytes()
    status, out, err = cli("retry", "--where", "customer:c01", "--dry-run", "--db", carrier)
    assert (status, err) == (0, "")
    assert out.splitlines() == ["4 orders match 'customer:c01': o-3, o-6, o-9 and o-12.",
                                "Dry run: no order was retried."]
    assert carrier.read_bytes() == before  # a dry run writes nothing

    status, out, err = cli("retry", "--where", "customer:c01", "--db", carrier)  # no terminal to ask
    assert (status, out.splitlines()[0]) == (2, "4 orders match 'customer:c01': o-3, o-6, o-9 and o-12.")
    assert err == ("ordersaga: Nothing was retried: pass --yes to retry these 4 orders without a question, "
                   "or --dry-run to only list them.\n")

    status, out, err = cli("retry", "--where", "customer:c01", "--yes", "--db", carrier)
    assert (status, err) == (1, "")  # some were refused
    assert out.splitlines() == [
        "4 orders match 'customer:c01': o-3, o-6, o-9 and o-12.",
        "Retried 2 of 4 orders.",
        "Refused 2: is completed; only a failed or held order can be retried (o-9 and o-12)."]
    assert sorted(listed(cli, carrier, "--where", "customer:c01 status:completed attempt:2")) == ["o-3", "o-6"]

    status, out, _ = cli("retry", "--where", "status:failed reason:~carrier", "--yes", "--db", carrier)
    assert status == 0
    assert out.splitlines() == ["6 orders match 'status:failed reason:~carrier': o-1, o-2, o-4, o-5, o-7 "
                                "and 1 more.", "Retried 6 of 6 orders."]
    # Idempotent: what it retried matches no more.
    assert cli("retry", "--where", "status:failed reason:~carrier", "--yes", "--db", carrier) == (
        0, "No order matches 'status:failed reason:~carrier'; nothing to retry.\n", "")
    assert cli("list", "--where", "status:failed", "--db", carrier)[1] == (
        "No order matches these filters (12 orders in this database).\n")


def test_cancel_where_asks_on_a_terminal_and_no_means_nothing(cli: Cli, carrier: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import app.commands.operating

    monkeypatch.setattr(app.commands.operating, "_interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    status, out, _ = cli("cancel", "--where", "status:failed", "--db", carrier)
    assert status == 1 and out.splitlines()[-1].endswith("Nothing was cancelled.")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    status, out, _ = cli("cancel", "--where", "id:o-1", "--db", carrier)
    assert status == 1 and out.splitlines()[-2:] == [
        "Cancel it? [y/N] Cancelled 0 of 1 order.",
        "Refused 1: is failed; only an order on hold can be cancelled (o-1)."]


@pytest.mark.parametrize("args, message", [
    (("retry",), "Say which orders to retry: an order id, or --where QUERY (e.g. --where "
                 "'status:failed reason:~carrier')."),
    (("retry", "o-1", "--where", "status:failed"), "Give an order or --where, not both (got 'o-1' and "
                                                   "--where 'status:failed')."),
    (("cancel", "o-1", "--yes"), "--yes goes with --where QUERY, not with a single order."),
    (("retry", "--where", "attempt:lots"), "--where: attempt:lots is not a number of attempts; write it "
                                           "like attempt:>1 or attempt:2."),
])
def test_a_bulk_command_it_cannot_read_is_one_line(cli: Cli, carrier: Path, args: tuple[str, ...],
                                                    message: str) -> None:
    before = carrier.read_bytes()
    assert cli(*args, "--db", carrier) == (2, "", f"ordersaga: {message}\n")
    assert carrier.read_bytes() == before
