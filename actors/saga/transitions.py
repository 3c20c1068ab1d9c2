"""What every saga rule builds: a new record (a changed copy of the old) and the command to send.

Records are immutable, so a rule makes a changed copy at every step; `changed` is the one way
it is made (see docs/performance.md for what it costs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from actors.saga.domain import (
    ORDER_STEP,
    Action,
    Attempt,
    Frozen,
    IdempotencyKey,
    Notification,
    NotificationKind,
    OperatorAction,
    OrderRecord,
    Outcome,
    Service,
    StepState,
    TimelineEvent,
)


@dataclass(frozen=True)
class Command:
    """A command to send once the record that asks for it is durable."""

    service: Service
    key: IdempotencyKey


@dataclass(frozen=True)
class Transition:
    record: OrderRecord
    command: Command | None = None


_Model = TypeVar("_Model", bound=Frozen)


def changed(model: _Model, **changes: Any) -> _Model:
    """A copy of model with changes, unvalidated (the rules give each field its own type).

    Made through the copy protocol pydantic implements (__getstate__, __setstate__), which
    model_copy also pays for copying what a Frozen model never holds (see docs/performance.md).
    """
    state = model.__getstate__()
    state["__dict__"] = {**state["__dict__"], **changes}
    copy = model.__class__.__new__(model.__class__)
    copy.__setstate__(state)
    return copy


def replace_step(attempt: Attempt, step: StepState) -> Attempt:
    steps = tuple(step if s.name == step.name else s for s in attempt.steps)
    return changed(attempt, steps=steps)


def with_attempt(record: OrderRecord, attempt: Attempt, at: datetime, **changes: object) -> OrderRecord:
    """The record with its current attempt replaced, as of at."""
    attempts = record.attempts[:-1] + (attempt,)
    return changed(record, attempts=attempts, updated_at=at, **changes)


def with_event(record: OrderRecord, at: datetime, attempt: int, step: str, action: Action,
               outcome: Outcome, reason: str = "") -> tuple[TimelineEvent, ...]:
    """The record's timeline with one more event."""
    return record.timeline + (timeline_event(record, at, attempt, step, action, outcome, reason),)


def timeline_event(record: OrderRecord, at: datetime, attempt: int, step: str, action: Action,
                   outcome: Outcome, reason: str = "") -> TimelineEvent:
    return TimelineEvent(at=at, order=record.order.id, attempt=attempt, step=step,
                         action=action, outcome=outcome, reason=reason)


def operator_event(record: OrderRecord, at: datetime, action: OperatorAction, by: str,
                   reason: str) -> TimelineEvent:
    """What an operator did to the order, under the attempt it follows, with who did it."""
    attempt = record.current_attempt
    return TimelineEvent(at=at, order=record.order.id, attempt=attempt.number if attempt else 0,
                         step=ORDER_STEP, action=action, outcome=Outcome.SUCCEEDED, reason=reason, by=by)


def with_notification(record: OrderRecord, at: datetime, attempt: int, kind: NotificationKind,
                      message: str) -> tuple[Notification, ...]:
    """The record's notifications with one more to the customer."""
    return record.notifications + (Notification(at=at, attempt=attempt, kind=kind, message=message),)
