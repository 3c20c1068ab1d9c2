"""The saga state machine as pure functions over immutable records.

The coordinator actor only does I/O around these: it persists the record a
function returns, and only then sends the command it names. Keeping the rules
here makes them testable without threads and lets recovery use the same code.
What an operator may do to a stopped order is in retrying.py and corrections.py.
"""

from __future__ import annotations

from datetime import datetime

from actors.saga.domain import (
    Action,
    Attempt,
    Failure,
    IdempotencyKey,
    NotificationKind,
    OrderRecord,
    Outcome,
    ParticipantReply,
    RecoverablePolicy,
    SagaStatus,
    StepState,
    StepStatus,
    format_cents,
)
from actors.saga.plan import SAGA_PLAN, STEP_NAMES, definition
from actors.saga.transitions import (
    Command,
    Transition,
    changed,
    replace_step,
    timeline_event,
    with_attempt,
    with_event,
    with_notification,
)

__all__ = ["Command", "Transition", "apply_reply", "awaits", "begin_attempt", "next_compensation",
           "no_answer", "outstanding_command", "resume", "same_key"]

# Every attempt starts with its steps pending: the same immutable states each time.
_PENDING = {name: StepState(name=name) for name in STEP_NAMES}


def _awaited(record: OrderRecord) -> tuple[str, int, Action] | None:
    """The step, attempt and action of the command the record is waiting on, if any."""
    attempt = record.current_attempt
    if attempt is None:
        return None
    for step in attempt.steps:
        if step.status == StepStatus.RUNNING:
            return step.name, attempt.number, Action.EXECUTE
        if step.status == StepStatus.COMPENSATING:
            return step.name, step.applied_in or attempt.number, Action.COMPENSATE
    return None


def awaits(record: OrderRecord, key: IdempotencyKey) -> bool:
    """Whether key names the command the record is waiting on (without building that command:
    every reply is checked so)."""
    return (key.order == record.order.id
            and _awaited(record) == (key.step, key.attempt, key.action))


def same_key(one: IdempotencyKey, other: IdempotencyKey) -> bool:
    """one == other, compared field by field: cheaper than a model's own equality, and the
    coordinator compares keys at every transition (see docs/performance.md)."""
    return (one.step == other.step and one.attempt == other.attempt and one.action == other.action
            and one.order == other.order)


def outstanding_command(record: OrderRecord) -> Command | None:
    """The command the record is waiting on, to (re)send after a restart or timeout."""
    awaited = _awaited(record)
    if awaited is None:
        return None
    return _command(record, *awaited)


def _command(record: OrderRecord, step: str, attempt: int, action: Action) -> Command:
    return Command(definition(step).service,
                   IdempotencyKey(order=record.order.id, step=step, attempt=attempt, action=action))


def _start_step(record: OrderRecord, attempt: Attempt, index: int, at: datetime,
                succeeded: StepState | None = None) -> Transition:
    """Start the attempt's step at index; succeeded, when given, is the step before it, which just
    succeeded: both changes make one new record (as they are one transition)."""
    steps = list(attempt.steps)
    timeline = record.timeline
    if succeeded is not None:
        steps[index - 1] = succeeded
        timeline += (timeline_event(record, at, attempt.number, succeeded.name,
                                     Action.EXECUTE, Outcome.SUCCEEDED),)
    step = steps[index] = changed(steps[index], status=StepStatus.RUNNING)
    attempt = changed(attempt, steps=tuple(steps))
    timeline += (timeline_event(record, at, attempt.number, step.name, Action.EXECUTE, Outcome.STARTED),)
    record = with_attempt(record, attempt, at, status=SagaStatus.RUNNING, timeline=timeline)
    return Transition(record, _command(record, step.name, attempt.number, Action.EXECUTE))


def begin_attempt(record: OrderRecord, at: datetime) -> Transition:
    """Start the next attempt: from scratch, or (held order) at its failed step."""
    previous = record.current_attempt
    # A held attempt keeps its done steps, also those a correction left valid (redo_from).
    keep_done = previous is not None and (record.status == SagaStatus.ON_HOLD
                                          or previous.redo_from is not None)
    steps = []
    for plan_step in SAGA_PLAN:
        kept = previous.step(plan_step.name) if keep_done and previous else None
        if kept is not None and kept.status == StepStatus.SUCCEEDED:
            steps.append(kept)
        else:
            steps.append(_PENDING[plan_step.name])
    attempt = Attempt(number=len(record.attempts) + 1, steps=tuple(steps), version=record.version,
                   failure=None, uncertain_step=None, redo_from=None)
    record = changed(record, attempts=record.attempts + (attempt,))
    first = next(i for i, s in enumerate(attempt.steps) if s.status == StepStatus.PENDING)
    return _start_step(record, attempt, first, at)


def _complete(record: OrderRecord, attempt: Attempt, at: datetime) -> Transition:
    notifications = record.notifications
    already_confirmed = any(n.kind == NotificationKind.CONFIRMATION for n in notifications)
    if not already_confirmed:
        order = record.order
        count = sum(item.quantity for item in order.items)
        message = (f"Order {order.id} is complete: {count} item{'s' if count != 1 else ''}, "
                   f"{format_cents(order.total_cents)} charged, shipping to {order.ship_to}.")
        notifications = with_notification(record, at, attempt.number, NotificationKind.CONFIRMATION, message)
    return Transition(with_attempt(record, attempt, at, status=SagaStatus.COMPLETED,
                                    notifications=notifications))


def _fail_step(record: OrderRecord, attempt: Attempt, step_name: str, reason: str,
               recoverable: bool, uncertain: bool, at: datetime, shortfall: bool = False) -> Transition:
    step = attempt.step(step_name)
    step = changed(step, status=StepStatus.FAILED, applied_in=attempt.number if uncertain else None)
    failure = Failure(step=step_name, reason=reason, recoverable=recoverable, shortfall=shortfall)
    attempt = changed(replace_step(attempt, step), failure=failure,
                    uncertain_step=step_name if uncertain else None)
    timeline = with_event(record, at, attempt.number, step_name, Action.EXECUTE, Outcome.FAILED, reason)
    if recoverable and not uncertain and record.policy == RecoverablePolicy.HOLD:
        message = (f"Order {record.order.id} is on hold at {step_name}: {reason}. "
                   "Completed steps are kept; retry once resolved, or cancel.")
        return Transition(with_attempt(
            record, attempt, at, status=SagaStatus.ON_HOLD, timeline=timeline,
            notifications=with_notification(record, at, attempt.number, NotificationKind.ON_HOLD, message)))
    record = with_attempt(record, attempt, at, timeline=timeline)
    return next_compensation(record, at)


def _needs_compensation(attempt: Attempt, step: StepState) -> bool:
    if step.status == StepStatus.SUCCEEDED:
        return True
    return step.status == StepStatus.FAILED and step.name == attempt.uncertain_step


def next_compensation(record: OrderRecord, at: datetime) -> Transition:
    """Compensate the latest step still holding an effect, or finish as failed (or cancelled).

    After a correction (redo_from), only the steps from redo_from on are compensated,
    and then the next attempt starts there instead.
    """
    attempt = record.current_attempt
    assert attempt is not None
    floor = STEP_NAMES.index(attempt.redo_from) if attempt.redo_from else 0
    for step in reversed(attempt.steps[floor:]):
        if _needs_compensation(attempt, step):
            step = changed(step, status=StepStatus.COMPENSATING)
            attempt = replace_step(attempt, step)
            record = with_attempt(record, attempt, at, status=SagaStatus.COMPENSATING,
                                   timeline=with_event(record, at, attempt.number, step.name,
                                                   Action.COMPENSATE, Outcome.STARTED))
            return Transition(record, outstanding_command(record))
    if attempt.redo_from is not None:
        return begin_attempt(record, at)
    failure = attempt.failure
    assert failure is not None
    if record.cancelled:
        return _close_cancelled(record, attempt, at)
    retry_hint = " You can retry once it is resolved." if failure.recoverable else ""
    message = (f"Order {record.order.id} failed at {failure.step}: {failure.reason}. "
               f"Nothing is charged or reserved.{retry_hint}")
    return Transition(with_attempt(
        record, attempt, at, status=SagaStatus.FAILED,
        notifications=with_notification(record, at, attempt.number, NotificationKind.FAILURE, message)))


def _close_cancelled(record: OrderRecord, attempt: Attempt, at: datetime) -> Transition:
    """Every kept step of a cancelled held order is compensated: tell the customer why it stopped."""
    step, reason = _held_failure(record, attempt)
    message = (f"Order {record.order.id} was cancelled by an operator while on hold at {step} "
               f"({reason}). Nothing is charged or reserved.")
    return Transition(with_attempt(
        record, attempt, at, status=SagaStatus.CANCELLED,
        notifications=with_notification(record, at, attempt.number, NotificationKind.CANCELLATION, message)))


def _held_failure(record: OrderRecord, attempt: Attempt) -> tuple[str, str]:
    """The step and reason the attempt failed with, as its timeline says, before a cancel reworded it."""
    failed = next(event for event in reversed(record.timeline)
                  if event.attempt == attempt.number and event.outcome == Outcome.FAILED)
    return failed.step, failed.reason


def apply_reply(record: OrderRecord, reply: ParticipantReply, at: datetime) -> Transition | None:
    """Fold a participant's reply into the record; None when it answers nothing outstanding."""
    if not awaits(record, reply.key):
        return None
    attempt = record.current_attempt
    assert attempt is not None
    step = attempt.step(reply.key.step)
    if reply.key.action == Action.EXECUTE:
        if not reply.ok:
            return _fail_step(record, attempt, step.name, reply.reason, reply.recoverable,
                              uncertain=False, at=at, shortfall=reply.shortfall)
        succeeded = changed(step, status=StepStatus.SUCCEEDED, applied_in=attempt.number)
        index = next(i for i, s in enumerate(attempt.steps) if s.name == step.name)
        if index + 1 < len(attempt.steps):
            return _start_step(record, attempt, index + 1, at, succeeded)
        attempt = replace_step(attempt, succeeded)
        record = with_attempt(record, attempt, at, timeline=with_event(
            record, at, attempt.number, step.name, Action.EXECUTE, Outcome.SUCCEEDED))
        return _complete(record, attempt, at)
    if not reply.ok:
        return Transition(changed(record, updated_at=at, timeline=with_event(
            record, at, attempt.number, step.name, Action.COMPENSATE, Outcome.RETRYING,
            reply.reason)), outstanding_command(record))
    attempt = replace_step(attempt, changed(step, status=StepStatus.COMPENSATED))
    record = with_attempt(record, attempt, at, timeline=with_event(
        record, at, attempt.number, step.name, Action.COMPENSATE, Outcome.COMPENSATED))
    return next_compensation(record, at)


def no_answer(record: OrderRecord, key: IdempotencyKey, tries: int, max_tries: int,
              waited_ms: int, at: datetime) -> Transition | None:
    """A command went unanswered: ask again with the same key, or give the step up.

    Execution is retried `max_tries` times; then its outcome is unknown, so the
    step fails and is compensated with the rest. Compensation is retried forever.
    """
    if not awaits(record, key):
        return None
    expected = outstanding_command(record)
    assert expected is not None
    attempt = record.current_attempt
    assert attempt is not None
    service = expected.service.value
    if key.action == Action.EXECUTE and tries >= max_tries:
        reason = f"{service} did not answer after {tries} tries"
        return _fail_step(record, attempt, key.step, reason, recoverable=True,
                          uncertain=True, at=at)
    reason = f"no answer from {service} within {waited_ms} ms"
    return Transition(changed(record, updated_at=at, timeline=with_event(
        record, at, attempt.number, key.step, key.action, Outcome.RETRYING, reason)), expected)


def resume(record: OrderRecord, at: datetime) -> Transition | None:
    """What to do with a record found in storage on start: begin it, ask again, or nothing."""
    if record.status == SagaStatus.PENDING:
        return begin_attempt(record, at)
    command = outstanding_command(record)
    attempt = record.current_attempt
    if command is None or attempt is None:
        return None
    return Transition(changed(record, updated_at=at, timeline=with_event(
        record, at, attempt.number, command.key.step, command.key.action, Outcome.RETRYING,
        "asked again after a restart")), command)

