"""The audit reads who did what: an operator's recorded action without its effect, or an
effect the record does not tell of, is an operator_record finding."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from actors import Engine, OperatorAction, WorldSnapshot, create_database
from app.audit import Kind, audit
from app.scenario import parse_scenario
from tests.contract.test_operators import WORLD


def acted_on(tmp_path: Path) -> WorldSnapshot:
    """Bob's held order topped up and retried by ann, dave's cancelled: a clean audit."""
    db = tmp_path / "operators.db"
    create_database(db, parse_scenario(WORLD, "operators"))
    with Engine.open(db) as engine:
        engine.wait_until_settled(30)
        engine.top_up("bob", 5000, by="ann")
        engine.retry("o-1", by="ann")
        engine.cancel("o-3", by="ann")
        engine.wait_until_settled(30)
        snapshot = engine.snapshot()
    assert audit(snapshot) == []
    return snapshot


def with_record(snapshot: WorldSnapshot, order_id: str, **changes: object) -> WorldSnapshot:
    records = [record.model_copy(update=changes) if record.order.id == order_id else record
               for record in snapshot.records]
    return dataclasses.replace(snapshot, records=records)


def operator_findings(snapshot: WorldSnapshot) -> list[str]:
    return [f.message for f in audit(snapshot) if f.kind == Kind.OPERATOR_RECORD]


def test_a_retry_recorded_without_its_attempt_is_a_finding(tmp_path: Path) -> None:
    snapshot = acted_on(tmp_path)
    o1 = next(r for r in snapshot.records if r.order.id == "o-1")
    retry = next(i for i, e in enumerate(o1.timeline) if e.action == OperatorAction.RETRY)
    # The attempt the retry started is gone, its retry kept: o-1 back on hold in attempt 1.
    tampered = with_record(snapshot, "o-1", timeline=o1.timeline[:retry + 1], attempts=o1.attempts[:1],
                           status=o1.status.ON_HOLD)
    assert any("records a retry by ann" in m and "that started no attempt" in m
               for m in operator_findings(tampered))


def test_an_attempt_without_its_recorded_retry_is_a_finding(tmp_path: Path) -> None:
    snapshot = acted_on(tmp_path)
    o1 = next(r for r in snapshot.records if r.order.id == "o-1")
    tampered = with_record(snapshot, "o-1", timeline=tuple(e for e in o1.timeline
                                                           if e.action != OperatorAction.RETRY))
    assert operator_findings(tampered) == [
        "Order o-1 starts attempt 2 without a recorded retry, though it records who acted before."]


def test_a_cancel_without_its_record_or_its_effect_is_a_finding(tmp_path: Path) -> None:
    snapshot = acted_on(tmp_path)
    o3 = next(r for r in snapshot.records if r.order.id == "o-3")
    unrecorded = with_record(snapshot, "o-3", timeline=tuple(
        e.model_copy(update={"by": None}) if e.action == OperatorAction.CANCEL else e for e in o3.timeline))
    assert operator_findings(unrecorded) == []  # an older ordersaga recorded nobody: not a finding
    forgotten = with_record(snapshot, "o-3", cancelled=False)
    assert any("records a cancel by ann" in m and "but is not cancelled" in m
               for m in operator_findings(forgotten))


def test_a_top_up_and_its_orders_timelines_must_agree(tmp_path: Path) -> None:
    snapshot = acted_on(tmp_path)
    unmarked = copy.deepcopy(snapshot)
    del unmarked.payment["accounts"]["bob"]["topped_up_by"]
    found = operator_findings(unmarked)  # the effect kept, who made it lost
    assert len(found) == 1 and found[0].startswith("Order o-1's timeline tells of a top-up by ann")
    assert found[0].endswith("that no participant records for it.")

    o1 = next(r for r in snapshot.records if r.order.id == "o-1")
    untold = with_record(snapshot, "o-1", timeline=tuple(e for e in o1.timeline
                                                         if e.action != OperatorAction.TOP_UP))
    assert [m.split(" (key ")[0] for m in operator_findings(untold)] == ["The top-up of bob by ann"]
    assert operator_findings(untold)[0].endswith("was for order o-1, whose timeline does not tell of it.")

    elsewhere = copy.deepcopy(snapshot)
    for mark in elsewhere.payment["accounts"]["bob"]["topped_up_by"].values():
        mark["orders"] = ["o-1", "o-99"]
    assert operator_findings(elsewhere)[0].endswith("names order o-99, which this database does not have.")
