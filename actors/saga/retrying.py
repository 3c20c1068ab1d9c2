"""What retrying or cancelling a failed or held order does, or why it is refused.

A held order keeps its done steps; after a correction, those whose effect no longer fits
the order are undone first (plan_retry says which, and in words what the retry will do).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from actors.saga.domain import Action, OperatorAction, Order, OrderRecord, SagaStatus, StepState, StepStatus
from actors.saga.errors import Refused
from actors.saga.plan import STEP_NAMES, definition
from actors.saga.rules import begin_attempt, next_compensation
from actors.saga.transitions import Transition, changed, operator_event, with_attempt


def must_be_retryable(record: OrderRecord, done: str) -> None:
    """Refused unless the order is on hold, or failed for a recoverable reason and not cancelled."""
    order_id = record.order.id
    failure = record.failure
    if record.status == SagaStatus.ON_HOLD:
        return
    if record.cancelled:  # cancelled, or failed in a database written before that status
        raise Refused(f"Order {order_id} was cancelled by an operator and cannot be {done}.")
    if record.status != SagaStatus.FAILED or failure is None:
        status = record.status.value.replace("_", " ")
        raise Refused(f"Order {order_id} is {status}; only a failed or held order can be {done}.")
    if not failure.recoverable:
        raise Refused(f"Order {order_id} cannot be {done}: its {failure.step} step failed "
                           f"for a reason that is not recoverable ({failure.reason}).")


def retry(record: OrderRecord, at: datetime, by: str) -> Transition:
    """Start a new attempt of a failed or held order, or say why not; the timeline records
    who asked, and what the retry does.

    A held order whose kept steps a correction invalidated first compensates them (see
    plan_retry); its next attempt begins once they are undone.
    """
    must_be_retryable(record, "retried")
    plan = plan_retry(record)
    record = changed(record, timeline=record.timeline + (
        operator_event(record, at, OperatorAction.RETRY, by, plan.describe()),))
    if not plan.undo:
        return begin_attempt(record, at)
    attempt = record.current_attempt
    assert attempt is not None
    record = with_attempt(record, changed(attempt, redo_from=plan.start), at)
    return next_compensation(record, at)


def cancel(record: OrderRecord, at: datetime, by: str) -> Transition:
    """Compensate a held order's kept steps and close it as cancelled; the timeline records who."""
    attempt = record.current_attempt
    if record.status != SagaStatus.ON_HOLD or attempt is None or attempt.failure is None:
        status = record.status.value.replace("_", " ")
        raise Refused(f"Order {record.order.id} is {status}; only an order on hold can be cancelled.")
    record = changed(record, timeline=record.timeline + (
        operator_event(record, at, OperatorAction.CANCEL, by, "its kept steps are compensated"),))
    failure = changed(attempt.failure, reason=f"Cancelled while on hold ({attempt.failure.reason})",
                    recoverable=False)
    attempt = changed(attempt, failure=failure)
    record = with_attempt(record, attempt, at, cancelled=True)
    return next_compensation(record, at)


@dataclass(frozen=True)
class RetryPlan:
    """What retrying the order as it stands does: what it undoes first, and where it starts."""

    undo: tuple[str, ...]  # kept steps a correction invalidated, in the order they are compensated
    start: str             # the step the next attempt starts at
    resumes: bool          # a held order: the steps before start are kept
    undo_words: str        # "refunds $149.97 and releases 3 KEYBOARD"
    run_words: str         # "reserves 1 KEYBOARD, charges $49.99 and ships to ..."

    def describe(self) -> str:
        if self.undo:
            return f"{self.undo_words}, then {self.run_words}"
        return f"{'resumes' if self.resumes else 'starts again'} at {self.start}: {self.run_words}"


def _listed(parts: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    said = list(parts)
    return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else "".join(said)


def _applied_under(record: OrderRecord, step: StepState) -> Order:
    """The version of the order a kept step's effect was applied under."""
    attempt = record.attempts[(step.applied_in or len(record.attempts)) - 1]
    return record.order_version(attempt.version)


def plan_retry(record: OrderRecord) -> RetryPlan:
    """The rule for a retry after corrections (README, Retry policies).

    A held order keeps its done steps; the first whose effect no longer fits the current
    version (its participant's terms differ from those of the version it was applied
    under), and every kept step after it, are compensated in reverse order, and the next
    attempt starts at that first one. With nothing invalidated it resumes at the failed
    step. A failed order was compensated already: it starts again at the first step.
    """
    attempt = record.current_attempt
    held = record.status == SagaStatus.ON_HOLD and attempt is not None
    kept = [s for s in attempt.steps if s.status == StepStatus.SUCCEEDED] if held and attempt else []
    invalid = next((i for i, step in enumerate(kept)
                    if definition(step.name).rules.terms(_applied_under(record, step))
                    != definition(step.name).rules.terms(record.order)), len(kept))
    undo = tuple(reversed(kept[invalid:]))
    start = kept[invalid].name if undo else next(n for n in STEP_NAMES if n not in {s.name for s in kept})
    undo_words = _listed(definition(step.name).rules.describe(_applied_under(record, step),
                                                                 Action.COMPENSATE) for step in undo)
    run_words = _listed(definition(name).rules.describe(record.order, Action.EXECUTE)
                        for name in STEP_NAMES[STEP_NAMES.index(start):])
    return RetryPlan(tuple(step.name for step in undo), start, held, undo_words, run_words)

