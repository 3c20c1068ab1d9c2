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
