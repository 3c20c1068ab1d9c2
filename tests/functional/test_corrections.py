"""US-004 with corrected input, through the actors: fix the address or the quantities of a
failed or held order, then retry it, under each policy, with every invariant holding."""

from __future__ import annotations

from typing import Any

import pytest

from actors import Engine, correction
from app.audit import audit
from app.scenario import load_scenario
from tests.conftest import EngineFactory, events, order_of, settled_report
from tests.invariants import assert_invariants


def world(policy: str, quantity: int = 3, stock: int = 5, balance: int = 100000,
          faults: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"name": "test", "recoverable_failures": policy, "stock": {"KB": stock},
            "accounts": {"bob": balance}, "faults": list(faults),
            "orders": [{"id": "o-1", "customer": "bob", "ship_to": "1 Main St",
                        "items": [{"sku": "KB", "quantity": quantity, "price_cents": 4999}]}]}


UNDELIVERABLE = {"service": "shipping", "order": "o-1", "reason": "Address undeliverable", "recoverable": True}


def without_follow_ups(name: str) -> Any:
    return load_scenario(name).model_copy(update={"then": ()})


def finish(engine: Engine) -> dict[str, Any]:
    """The report once the retry settled, with the invariants and the audit checked."""
    report = settled_report(engine, follow_ups=False)
    assert_invariants(report)
    assert audit(engine.snapshot()) == []
    return report


def effects(engine: Engine, kind: str, service: str) -> dict[str, dict[str, Any]]:
    """A participant's own records of its effects (reservations, charges, shipments), by key."""
    return {effect["effect"]: effect for effect in getattr(engine.snapshot(), service)[kind]}


def test_hold_an_address_correction_resumes_at_shipping_keeping_the_reservation_and_charge(
        start_engine: EngineFactory) -> None:
    engine = start_engine(without_follow_ups("address_undeliverable"))
    engine.wait_until_settled(10)
    assert engine.record("o-1").status.value == "on_hold"
    answer = engine.edit(correction("o-1", ship_to="12 Harbour Rd, Springfield"))
    assert answer == ('Order o-1 is now version 2: ship_to changed from "12 Nowhere Lane, Atlantis" to '
                      '"12 Harbour Rd, Springfield". Retrying it resumes at shipping: ships to '
                      '"12 Harbour Rd, Springfield".')
    assert engine.retry("o-1") == "Order o-1: attempt 2 started at shipping."
    report = finish(engine)
    o = order_of(report, "o-1")
    assert (o["status"], o["version"]) == ("completed", 2)
    assert events(o, attempt=2) == [("shipping", "execute", "started"), ("shipping", "execute", "succeeded")]
    assert ("order", "edit", "succeeded") in events(o, attempt=1)
    # Reserved and charged once, by attempt 1; shipped by attempt 2 to the corrected address.
    assert [key for key, r in effects(engine, "reservations", "inventory").items()
            if r["order"] == "o-1"] == ["o-1/inventory/1"]
    assert [c["amount_cents"] for c in report["charges"] if c["order"] == "o-1"] == [4999]
    shipment = effects(engine, "shipments", "shipping")["o-1/shipping/2"]
    assert (shipment["address"], shipment["status"]) == ("12 Harbour Rd, Springfield", "created")
    assert [v["attempts"] for v in o["versions"]] == [[1], [2]]
    assert [n["kind"] for n in o["notifications"]] == ["on_hold", "correction", "confirmation"]


def test_hold_a_quantity_correction_refunds_and_releases_what_version_1_holds_then_runs_again(
        start_engine: EngineFactory) -> None:
    engine = start_engine(world("hold", faults=(UNDELIVERABLE,)))
    engine.wait_until_settled(10)
    answer = engine.edit(correction("o-1", quantity={"KB": 1}))
    assert audit(engine.snapshot()) == [], "held under version 1's effects until the retry"
    assert answer.endswith("Retrying it refunds $149.97 and releases 3 KB, then reserves 1 KB, "
                           'charges $49.99 and ships to "1 Main St".')
    assert engine.retry("o-1") == ("Order o-1: the retry first refunds $149.97 and releases 3 KB, "
                                   "then attempt 2 starts at inventory.")
    report = finish(engine)
    o = order_of(report, "o-1")
    edited = events(o).index(("order", "edit", "succeeded"))
    assert events(o)[edited:edited + 7] == [
        ("order", "edit", "succeeded"), ("order", "retry", "succeeded"),
        ("payment", "compensate", "started"), ("payment", "compensate", "compensated"),
        ("inventory", "compensate", "started"), ("inventory", "compensate", "compensated"),
        ("inventory", "execute", "started")]
    # Each participant undid its own record of version 1's effect, and applied version 2's.
    reservations = effects(engine, "reservations", "inventory")
    assert reservations["o-1/inventory/1"]["items"] == {"KB": 3}
    assert reservations["o-1/inventory/1"]["status"] == "released"
    assert (reservations["o-1/inventory/2"]["items"], reservations["o-1/inventory/2"]["status"]) == (
        {"KB": 1}, "held")
    charges = effects(engine, "charges", "payment")
    assert [(c["amount_cents"], c["status"]) for c in charges.values()] == [(14997, "refunded"),
                                                                          (4999, "captured")]
    assert report["stock"]["KB"] == {"available": 4, "reserved": 1, "initial": 5, "restocked": 0}
    assert report["accounts"]["bob"]["balance_cents"] == 100000 - 4999


def test_hold_a_quantity_only_a_smaller_order_can_get_is_corrected_and_reserved(
        start_engine: EngineFactory) -> None:
    engine = start_engine(without_follow_ups("quantity_too_large"))
    engine.wait_until_settled(10)
    assert engine.record("o-1").failure.reason == "Not enough stock of MONITOR: wanted 3, available 2"
    engine.edit(correction("o-1", quantity={"MONITOR": 2}))
    assert engine.retry("o-1") == "Order o-1: attempt 2 started at inventory."
    report = finish(engine)
    assert order_of(report, "o-1")["status"] == "completed"
    assert report["stock"]["MONITOR"] == {"available": 0, "reserved": 2, "initial": 2, "restocked": 0}


@pytest.mark.parametrize("change, stock, faults", [
    ({"ship_to": "2 Oak Ave"}, 5, (UNDELIVERABLE,)),
    ({"quantity": {"KB": 1}}, 2, ()),  # 3 wanted, 2 in stock: out of stock
], ids=["address", "quantity"])
def test_compensate_the_next_attempt_starts_from_the_first_step_with_the_corrected_order(
        start_engine: EngineFactory, change: dict[str, Any], stock: int, faults: tuple[dict, ...]) -> None:
    engine = start_engine(world("compensate", stock=stock, faults=faults))
    engine.wait_until_settled(10)
    assert engine.record("o-1").status.value == "failed"
    assert "Retrying it starts again at inventory: reserves" in engine.edit(correction("o-1", **change))
    assert engine.retry("o-1") == "Order o-1: attempt 2 started at inventory."
    report = finish(engine)
    o = order_of(report, "o-1")
    assert o["status"] == "completed"
    assert [step for step, _, outcome in events(o, attempt=2) if outcome == "succeeded"] == [
        "inventory", "payment", "shipping"]
    corrected = engine.record("o-1").order
    shipment = effects(engine, "shipments", "shipping")["o-1/shipping/2"]
    assert shipment["address"] == corrected.ship_to
    assert [c["amount_cents"] for c in report["charges"] if c["status"] == "captured"] == [corrected.total_cents]


def test_the_library_scenarios_correct_and_retry_on_their_own(start_engine: EngineFactory) -> None:
    for name in ("address_undeliverable", "quantity_too_large"):
        engine = start_engine(name)
        report = settled_report(engine)
        assert {o["status"] for o in report["orders"]} == {"completed"}, name
        assert_invariants(report)
        assert audit(engine.snapshot()) == [], name
