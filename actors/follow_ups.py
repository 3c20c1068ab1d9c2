"""A scenario's `then` actions, applied once each across restarts of the process."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actors.mapper import FollowUpProgress, meta_document
from actors.saga.errors import Refused
from actors.saga.operators import SCENARIO
from actors.saga.scenario import Scenario, ThenAction

if TYPE_CHECKING:
    from actors.facade import SagaEngine


def apply(engine: SagaEngine, action: ThenAction, key: str) -> str:
    """Apply one scenario follow-up, recorded as the scenario's (top-ups and restocks under
    their own idempotency key);
    Refused says why it cannot apply. A script's retry runs as written, without pre-flight."""
    if action.top_up:
        return engine.top_up(action.top_up.customer, action.top_up.amount_cents, key, by=SCENARIO)
    if action.restock:
        return engine.restock(action.restock.sku, action.restock.quantity, key, by=SCENARIO)
    if action.retry:
        return engine.retry(action.retry, force=True, by=SCENARIO)
    if action.edit:
        return engine.edit(action.edit, by=SCENARIO)
    assert action.cancel is not None
    return engine.cancel(action.cancel, by=SCENARIO)


class FollowUps:
    """Applies the scenario's `then` actions not yet applied, each after the orders settle.

    The count applied is stored, so a run killed half-way continues on the next
    open instead of repeating or losing actions. Top-ups and restocks carry their
    own idempotency key; before a retry, cancel or edit, the order as it was is
    stored, so a restart can tell whether it took effect.
    """

    def __init__(self, engine: SagaEngine, scenario: Scenario, progress: FollowUpProgress) -> None:
        self._engine = engine
        self._scenario = scenario
        self._applied = progress.applied
        self._begun = progress.begun

    def run(self, report: Callable[[str], None], timeout_s: float) -> None:
        engine, actions = self._engine, self._scenario.then
        while self._applied < len(actions):
            engine.wait_until_settled(timeout_s)
            index = self._applied
            action = actions[index]
            if self._took_effect_before_restart(action, index):
                report(f"then {action.describe()}: applied before the process stopped.")
            else:
                self._begin(action, index)
                try:
                    report(f"then {action.describe()}: {apply(engine, action, key=f'then/{index}')}")
                except Refused as refusal:
                    report(f"then {action.describe()}: not applied. {refusal}")
            self._applied = index + 1
            self._store(begun=None)
        engine.wait_until_settled(timeout_s)

    def _begin(self, action: ThenAction, index: int) -> None:
        target = action.retry or action.cancel or (action.edit.order if action.edit else None)
        record = self._engine.find(target or "")
        if record is not None:
            self._store(begun={"index": index, "order": record.order.id, "attempts": len(record.attempts),
                               "cancelled": record.cancelled, "version": record.version})

    def _took_effect_before_restart(self, action: ThenAction, index: int) -> bool:
        """Whether the retry, cancel or edit begun at index, before the process stopped, took effect."""
        begun, self._begun = self._begun, None
        if begun is None or begun.get("index") != index:
            return False
        record = self._engine.find(str(begun.get("order")))
        if record is None:
            return False
        if action.retry:
            return len(record.attempts) > int(begun.get("attempts", 0))
        if action.edit:
            return record.version > int(begun.get("version", 1))
        return bool(action.cancel) and record.cancelled and not begun.get("cancelled")

    def _store(self, begun: dict[str, Any] | None) -> None:
        """Store how far the follow-ups went (and the one begun, if any); return once durable."""
        self._engine.store_durably([meta_document(self._scenario, FollowUpProgress(self._applied, begun))])
