"""What copying an immutable record costs: the saga rules copy one at every transition.

    .venv/bin/python -m bench.model_copy

Times each way of making an OrderRecord with two fields changed (the rules' copy at every
transition) and a new TimelineEvent, interleaved round by round, best of each; the
1-minute load average is printed beside the figures (the machine may be shared).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from actors.saga import rules
from actors.saga.domain import Action, Item, Order, OrderRecord, Outcome, TimelineEvent
from actors.saga.transitions import changed
from bench.common import best_interleaved

AT = datetime(2026, 1, 1, tzinfo=UTC)
RECORD = rules.begin_attempt(OrderRecord(order=Order(id="o-1", customer="c-1", ship_to="here",
                                                     items=(Item(sku="s-1", quantity=2, price_cents=500),))),
                             AT).record
EVENT = {"at": AT, "order": "o-1", "attempt": 1, "step": "inventory", "action": Action.EXECUTE,
         "outcome": Outcome.STARTED, "reason": ""}


def _built(model: Any, fields: dict[str, Any], fields_set: set[str]) -> Any:
    """How the rules copied a model before: pydantic's private attributes written by hand."""
    made = model.__new__(model)
    object.__setattr__(made, "__dict__", fields)
    object.__setattr__(made, "__pydantic_fields_set__", fields_set)
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


WAYS: dict[str, Callable[[], object]] = {
    "record: changed (pydantic's copy protocol), now": lambda: changed(RECORD, updated_at=AT,
                                                                         status=RECORD.status),
    "record: model_copy(update=...)": lambda: RECORD.model_copy(update={"updated_at": AT, "status": RECORD.status}),
    "record: private attributes by hand, before": lambda: _built(
        OrderRecord, {**RECORD.__dict__, "updated_at": AT, "status": RECORD.status},
        RECORD.__pydantic_fields_set__ | {"updated_at", "status"}),
    "event: TimelineEvent(...), now": lambda: TimelineEvent(**EVENT),
    "event: private attributes by hand, before": lambda: _built(TimelineEvent, dict(EVENT), set(EVENT)),
    "event: TimelineEvent.model_construct": lambda: TimelineEvent.model_construct(**EVENT),
}


def main() -> None:
    best = best_interleaved(WAYS, number=20_000)
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name, seconds in best.items():
        print(f"  {name:<50} {seconds * 1e6:6.2f} us")


if __name__ == "__main__":
    main()
