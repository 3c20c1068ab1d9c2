"""Who did what, on both runtimes: every operator action is recorded with who and when, in
the timeline of the order it was for (a top-up and a restock in the timelines of the orders
waiting on it), and the audit holds the records against the effects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actors import SagaEngine, create_database, open_engine
from app.audit import audit
from app.report import order_report
from app.scenario import parse_scenario

# Bob's order waits on hold for money, carol's failed for stock (compensated, so archived on
# the embedded runtime), dave's is held for money too and then cancelled.
WORLD: dict[str, Any] = {
    "name": "operators", "recoverable_failures": "hold",
    "stock": {"KB": 5, "LAMP": 0}, "accounts": {"bob": 1000, "carol": 10000, "dave": 1000},
    "orders": [
        {"id": "o-1", "customer": "bob", "ship_to": "1 Main St",
         "items": [{"sku": "KB", "quantity": 1, "price_cents": 4999}]},
        {"id": "o-2", "customer": "carol", "ship_to": "2 Oak Ave", "recoverable_failures": "compensate",
         "items": [{"sku": "LAMP", "quantity": 2, "price_cents": 1500}]},
        {"id": "o-3", "customer": "dave", "ship_to": "3 Elm Rd",
         "items": [{"sku": "KB", "quantity": 1, "price_cents": 4999}]},
    ],
}

@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SagaEngine]:
    """The world above, settled, on the runtime the test is parametrized with."""
    if request.param == "postgres":
        request.getfixturevalue("workers")
        db: str | Path = str(request.getfixturevalue("postgres_url"))
    else:
        db = tmp_path / "operators.db"
    create_database(db, parse_scenario(WORLD, "operators"), replace=True)
    with open_engine(db) as opened:
        opened.wait_until_settled(timeout_s=60)
        yield opened


def operator_events(engine: SagaEngine, order_id: str) -> list[dict[str, Any]]:
    return [entry for entry in order_report(engine.record(order_id))["timeline"] if "by" in entry]


def test_each_action_is_told_in_its_orders_timeline_with_who(engine: SagaEngine) -> None:
    assert [engine.record(o).status.value for o in ("o-1", "o-2", "o-3")] == ["on_hold", "failed", "on_hold"]
    engine.top_up("bob", 5000, by="ann")
    engine.restock("LAMP", 2, by="raj")
    engine.retry("o-1", by="ann")
    engine.retry("o-2", by="raj")
    engine.cancel("o-3", by="ann")
    engine.wait_until_settled(timeout_s=60)

    told = {order_id: [(e["action"], e["by"], e["reason"]) for e in operator_events(engine, order_id)]
            for order_id in ("o-1", "o-2", "o-3")}
    assert told["o-1"] == [("top_up", "ann", "bob topped up by $50.00"),
                           ("retry", "ann", "resumes at payment: charges $49.99 and ships to \"1 Main St\"")]
    assert told["o-2"] == [("restock", "raj", "LAMP restocked by 2"),
                           ("retry", "raj", "starts again at inventory: reserves 2 LAMP, charges $30.00 and "
                                            "ships to \"2 Oak Ave\"")]
    # Dave's order waited on dave's money, not bob's: only its cancel is told.
    assert told["o-3"] == [("cancel", "ann", "its kept steps are compensated")]
    assert [engine.record(o).status.value for o in ("o-1", "o-2", "o-3")] == ["completed", "completed", "cancelled"]

    snapshot = engine.snapshot()
    top_ups = snapshot.payment["accounts"]["bob"]["topped_up_by"].values()
    restocks = snapshot.inventory["stock"]["LAMP"]["restocked_by"].values()
    assert [(mark["by"], mark["orders"]) for mark in top_ups] == [("ann", ["o-1"])]
    assert [(mark["by"], mark["orders"]) for mark in restocks] == [("raj", ["o-2"])]
    assert audit(snapshot) == []


def test_a_credit_no_order_waits_on_is_recorded_with_who_alone(engine: SagaEngine) -> None:
    engine.restock("KB", 3, by="lee")
    marks = list(engine.snapshot().inventory["stock"]["KB"]["restocked_by"].values())
    assert [(mark["by"], mark["orders"]) for mark in marks] == [("lee", [])]
    assert all(not operator_events(engine, o) for o in ("o-1", "o-2", "o-3"))


def test_an_action_names_this_processs_login_name_unless_told(engine: SagaEngine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "night-shift")
    engine.top_up("bob", 5000)
    assert [(e["action"], e["by"]) for e in operator_events(engine, "o-1")] == [("top_up", "night-shift")]
