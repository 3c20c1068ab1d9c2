"""Which operator actions can help an order now: the footer shows only their keys,
and the order pane names them, so the two never disagree."""

from __future__ import annotations

from actors.domain import OrderRecord, SagaStatus

ORDER_ACTIONS = ("restock", "top_up", "retry", "cancel")
# What resolves a recoverable failure at each step before a retry.
CAUSE_FIX = {"inventory": "restock", "payment": "top_up"}


def remedies(record: OrderRecord | None) -> tuple[str, ...]:
    """The actions, in the order an operator would take them, that can move record on."""
    if record is None or record.status not in (SagaStatus.FAILED, SagaStatus.ON_HOLD):
        return ()
    failure = record.failure
    if failure is None or not failure.recoverable or record.cancelled:
        return ()
    fix = CAUSE_FIX.get(failure.step)
    held = record.status == SagaStatus.ON_HOLD
    return ((fix,) if fix else ()) + ("retry",) + (("cancel",) if held else ())


def needs_attention(record: OrderRecord) -> bool:
    """Failed or on hold: what the `f` key jumps to."""
    return record.status in (SagaStatus.FAILED, SagaStatus.ON_HOLD)
