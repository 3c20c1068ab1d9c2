"""Settled orders leave the live journal for the archive, and every command still finds them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actors.mapper import ORDER_PREFIX
from storage.store import DocumentStore
from tests.conftest import json_out

Cli = Callable[..., tuple[int, str, str]]
SHORT_OF_STOCK = """
name = "short of stock"
[stock]
KB = 0
[accounts]
amy = 10000
[[orders]]
id = "o-1"
customer = "amy"
ship_to = "1 Main St"
items = [{ sku = "KB", quantity = 1, price_cents = 2500 }]
"""


def _live_orders(db: Path) -> list[str]:
    store = DocumentStore(db, create=False, read_only=True)
    try:
        return store.names(ORDER_PREFIX)
    finally:
        store.close()


def test_settled_orders_are_archived_and_still_shown_by_every_command(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "s.db"
    status, out, err = cli("run", "shipping_failure", "--db", db)
    assert status == 0, err
    assert _live_orders(db) == []  # completed and failed: both archived

    status, out, _ = cli("status", "o-1", "--db", db)
    assert status == 0 and "failed" in out.splitlines()[0]
    status, out, _ = cli("history", "o-1", "--db", db, "--json")
    assert status == 0 and json_out(out)["timeline"][-1]["outcome"] == "compensated"
    status, out, _ = cli("list", "--db", db, "--json")
    assert sorted(order["id"] for order in json_out(out)) == ["o-1", "o-2"]
    assert cli("audit", "--db", db)[0] == 0


def test_a_retry_brings_an_archived_order_back_and_it_is_archived_again(tmp_path: Path, cli: Cli) -> None:
    db, scenario = tmp_path / "s.db", tmp_path / "short.toml"
    scenario.write_text(SHORT_OF_STOCK)
    assert cli("run", scenario, "--db", db)[0] == 0
    assert json_out(cli("status", "o-1", "--db", db, "--json")[1])["status"] == "failed"
    assert _live_orders(db) == []
    assert cli("restock", "KB", "1", "--db", db)[0] == 0
    status, out, err = cli("retry", "o-1", "--db", db)
    assert status == 0, err
    order = json_out(cli("status", "o-1", "--db", db, "--json")[1])
    assert order["status"] == "completed" and order["attempts"] == 2
    assert _live_orders(db) == []
    assert cli("audit", "--db", db)[0] == 0


def test_orders_left_settled_in_the_journal_are_archived_when_it_is_next_opened(tmp_path: Path,
                                                                                cli: Cli) -> None:
    """A process stopped between an order settling and its archiving, or a database written
    before the archive existed, leaves settled orders live: the next open archives them."""
    db = tmp_path / "s.db"
    assert cli("run", "happy_path", "--db", db)[0] == 0
    store = DocumentStore(db, create=False)
    for found, documents in list(store.every_archived()):  # as if never archived
        for name, doc in documents.items():
            store.put(name, doc)
    store.flush()
    store.close()
    assert len(_live_orders(db)) == 3

    assert cli("report", "--db", db)[0] == 0
    assert _live_orders(db) == []
    status, out, _ = cli("list", "--db", db, "--json")
    assert sorted(order["status"] for order in json_out(out)) == ["completed"] * 3
    assert cli("audit", "--db", db)[0] == 0
