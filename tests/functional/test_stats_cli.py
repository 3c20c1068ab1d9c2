"""`ordersaga stats`: the demo's outcome as a trend, and a bad span refused before anything is read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., tuple[int, str, str]]


def test_stats_counts_the_demos_orders_and_ranks_its_reasons(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert cli("run", "demo", "--db", db)[0] == 0
    status, out, err = cli("stats", "--db", db, "--since", "1h", "--json")
    assert status == 0, err
    figures = json.loads(out)
    assert len(figures["completed_per_minute"]) == 60
    assert (sum(figures["completed_per_minute"]), sum(figures["failed_per_minute"])) == (4, 3)
    assert {row["reason"] for row in figures["reasons"]} == {
        "Card declined by issuer", "Carrier unavailable", "Not enough stock of MONITOR: wanted 1, available 0",
        "Insufficient funds: balance $20.00, order total $89.99"}
    status, out, _ = cli("stats", "--db", db)
    assert status == 0 and out.startswith("Over the last hour, by minute (oldest first):")


def test_a_span_that_is_not_one_is_refused_in_one_sentence(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    for since, said in (("9x", "--since '9x' is not a span of time; write it like 10m, 1h or 2d."),
                        ("30d", "--since must be from 1m to 7d (got 30d).")):
        status, out, err = cli("stats", "--db", db, "--since", since)
        assert (status, out, err.strip()) == (2, "", f"ordersaga: {said}")
    assert not db.exists()
