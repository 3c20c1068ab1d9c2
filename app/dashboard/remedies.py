"""Which operator actions can help an order now: the footer shows only their keys,
and the order pane names them, so the two never disagree."""

from __future__ import annotations

from actors import CauseCheck, OrderRecord, Remedy, SagaStatus, definition
from app.dashboard.board import NEEDS_ATTENTION

ORDER_ACTIONS = (Remedy.RESTOCK.value, Remedy.TOP_UP.value, "edit", "retry", "cancel")


def remedies(record: OrderRecord | None, check: CauseCheck | None = None) -> tuple[str, ...]:
    """The actions, in the order an operator would take them, that can move record on
    (no restock or top-up once check says its cause is resolved)."""
    if record is None or record.status not in NEEDS_ATTENTION:
        return ()
    failure = record.failure
    if failure is None or not failure.recoverable or record.cancelled:
        return ()
    remedy = definition(failure.step).remedy  # what resolves it before a retry, if anything
    fix = remedy.value if remedy and not (check and check.resolved) else None
    held = record.status == SagaStatus.ON_HOLD
    return ((fix,) if fix else ()) + ("edit", "retry") + (("cancel",) if held else ())
