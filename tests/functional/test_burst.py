"""A burst of orders runs as fast as it can without asking anyone twice."""

from __future__ import annotations

from pathlib import Path

from actors import Engine, create_database
from actors.saga.domain import Item, Order
from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings
from app.report import build_report
from tests.invariants import assert_invariants

BURST = 3000


def test_a_burst_of_orders_is_never_asked_twice_for_want_of_patience(tmp_path: Path) -> None:
    """With every order of a burst started at once, commands queued behind each other
    outlasted the answer timeout and were all sent again: a third of the orders' histories
    then showed "no answer" from a service that had answered. Admitting a few dozen sagas
    at a time keeps each wait short. The settings are the defaults a user runs with."""
    orders = tuple(Order(id=f"o-{n}", customer="ann", ship_to="1 Main St",
                         items=(Item(sku="KB", quantity=1, price_cents=100),))
                   for n in range(BURST))
    db = tmp_path / "burst.db"
    create_database(db, Scenario(name="burst", stock={"KB": BURST}, accounts={"ann": 100 * BURST},
                                 orders=orders))
    with Engine.open(db, settings=EngineSettings()) as engine:
        engine.wait_until_settled(timeout_s=120)
        report = build_report(engine.snapshot())
    assert [o["status"] for o in report["orders"]] == ["completed"] * BURST
    retried = [o["id"] for o in report["orders"] if any(e["outcome"] == "retrying" for e in o["timeline"])]
    assert retried == []
    assert_invariants(report)
