"""Settled orders leave the live journal for the archive, and every command still finds them."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from actors import Engine, create_database
from actors.mapper import ORDER_PREFIX
from app.report import build_report, render_history, render_status
from app.scenario import parse_scenario
from storage.archive import database_files
from storage.store import DocumentStore
from tests.conftest import json_out
from tests.tampering import tamper

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
    for _, documents in list(store.every_archived()):  # as if never archived
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


HELD_AND_ARCHIVED = """
name = "one held, two archived"
recoverable_failures = "hold"
[stock]
KB = 10
[accounts]
amy = 10000
bob = 1000
[[orders]]
id = "o-1"
customer = "amy"
ship_to = "1 Main St"
items = [{ sku = "KB", quantity = 1, price_cents = 2500 }]
[[orders]]
id = "o-2"
customer = "bob"
ship_to = "2 Oak Ave"
items = [{ sku = "KB", quantity = 2, price_cents = 4999 }]
[[orders]]
id = "o-3"
customer = "amy"
ship_to = "1 Main St"
items = [{ sku = "KB", quantity = 3, price_cents = 1000 }]
"""


def _files(db: Path) -> list[bytes]:
    return [part.read_bytes() for part in database_files(db)]


def test_reading_a_held_order_and_an_archived_one_shows_what_the_engine_shows(tmp_path: Path,
                                                                               cli: Cli) -> None:
    """With nothing to resume, a reading command reads the stored orders without starting the
    engine: what it shows must still be what the engine holds, and it writes nothing."""
    db, scenario = tmp_path / "h.db", tmp_path / "held.toml"
    scenario.write_text(HELD_AND_ARCHIVED)
    assert cli("run", scenario, "--db", db)[0] == 0
    assert _live_orders(db) == ["order/o-2"]  # on hold, bob short of money; o-1 and o-3 archived
    with Engine.open(db) as engine:
        expected = {order: (render_status(engine.record(order)), render_history(engine.record(order)))
                    for order in ("o-1", "o-2")}
        report = build_report(engine.snapshot())
    before = _files(db)

    for order, (status_text, history_text) in expected.items():
        assert cli("status", order, "--db", db) == (0, status_text + "\n", "")
        assert cli("history", order, "--db", db) == (0, history_text + "\n", "")
    status, out, _ = cli("list", "--db", db, "--json")
    assert status == 0 and {o["id"]: o for o in json_out(out)} == {o["id"]: o for o in report["orders"]}
    status, out, _ = cli("list", "--db", db, "--status", "on hold")
    assert status == 0 and [line.split()[:4] for line in out.splitlines()[1:]] == [
        ["o-2", "bob", "$99.98", "on"]]
    assert cli("status", "o-4", "--db", db) == (2, "", "ordersaga: There is no order 'o-4' in this "
                                                       "database.\n")
    assert _files(db) == before


def test_a_reading_command_still_resumes_orders_in_flight_first(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "h.db"
    create_database(db, parse_scenario(tomllib.loads(HELD_AND_ARCHIVED), "held"))
    status, out, _ = cli("status", "o-1", "--db", db)
    assert status == 0 and out.startswith("Order o-1 (amy, $25.00): completed, attempt 1")
    assert _live_orders(db) == ["order/o-2"]


def test_an_engines_summaries_follow_an_order_archived_again(tmp_path: Path, cli: Cli) -> None:
    """The engine keeps the archive's summaries it has read; an order retried, settled and
    archived anew is listed once, as it is now."""
    db, scenario = tmp_path / "s.db", tmp_path / "short.toml"
    scenario.write_text(SHORT_OF_STOCK)
    assert cli("run", scenario, "--db", db)[0] == 0
    with Engine.open(db) as engine:
        assert [(s.id, s.status.value, s.attempts) for s in engine.summaries()] == [("o-1", "failed", 1)]
        engine.restock("KB", 1)
        engine.retry("o-1")
        engine.wait_until_settled(timeout_s=30)
        assert [(s.id, s.status.value, s.attempts) for s in engine.summaries()] == [("o-1", "completed", 2)]
    assert _live_orders(db) == []


def test_a_held_orders_record_that_is_not_one_is_named_not_a_traceback(tmp_path: Path, cli: Cli) -> None:
    db, scenario = tmp_path / "h.db", tmp_path / "held.toml"
    scenario.write_text(HELD_AND_ARCHIVED)
    assert cli("run", scenario, "--db", db)[0] == 0
    damaged = tamper(db, tmp_path, ("order/o-2", lambda doc: doc.pop("order")))
    for command in (("list",), ("status", "o-2")):
        status, out, err = cli(*command, "--db", damaged)
        assert (status, out) == (2, "") and err.startswith(
            f"ordersaga: {damaged}: an order record does not match the schema (")
