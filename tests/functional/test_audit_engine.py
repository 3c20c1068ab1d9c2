"""The audit on engine runs the library does not cover: steps whose outcome was never
known (compensated or fenced), and held orders retried, held again, or cancelled."""

from __future__ import annotations

from typing import Any

import pytest

from app.audit import audit
from tests.conftest import EngineFactory


def world(policy: str, money: int, faults: list[dict[str, Any]],
          then: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "edge", "recoverable_failures": policy, "stock": {"LAMP": 5},
            "accounts": {"gina": money}, "faults": faults, "then": then,
            "orders": [{"id": "o-1", "customer": "gina", "ship_to": "4 Cedar Ct",
                        "items": [{"sku": "LAMP", "quantity": 1, "price_cents": 3500}]}]}


@pytest.mark.parametrize(("scenario", "status"), [
    (world("compensate", 10000, [{"service": "payment", "kind": "lost_reply", "times": 10}], []),
     "failed"),  # charged, never told: the charge is refunded
    (world("compensate", 10000, [{"service": "inventory", "kind": "timeout", "times": 10}], []),
     "failed"),  # never arrived: the reservation is fenced
    (world("hold", 1000, [], [{"retry": "o-1"}, {"top_up": {"customer": "gina", "amount_cents": 5000}},
                              {"retry": "o-1"}]), "completed"),
    (world("hold", 1000, [], [{"retry": "o-1"}, {"cancel": "o-1"}]), "cancelled"),
], ids=["unanswered charge", "unanswered reservation", "held twice, then resumed",
        "held twice, then cancelled"])
def test_the_engine_leaves_nothing_for_the_audit_to_find(start_engine: EngineFactory,
                                                         scenario: dict[str, Any], status: str) -> None:
    engine = start_engine(scenario)
    engine.wait_until_settled(timeout_s=30)
    engine.run_follow_ups(lambda line: None, timeout_s=30)
    snapshot = engine.snapshot()
    assert snapshot.records[0].status.value == status
    assert audit(snapshot) == []
