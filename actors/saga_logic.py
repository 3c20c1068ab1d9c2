"""The saga state machine as pure functions over immutable records.

The coordinator actor only does I/O around these: it persists the record a
function returns, and only then sends the command it names. Keeping the rules
here makes them testable without threads and lets recovery use the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from actors.domain import (
    Action,
    Attempt,
    Failure,
    IdempotencyKey,
    Notification,
    NotificationKind,
    OrderRecord,
    Outcome,
    ParticipantReply,
    RecoverablePolicy,
    SagaStatus,
    Service,
    StepState,
    StepStatus,
    TimelineEvent,
    format_cents,
)
from actors.plan import SAGA_PLAN, definition


@dataclass(frozen=True)
class Command:
    """A command to send once the record that asks for it is durable."""

    service: Service
    key: IdempotencyKey


@dataclass(frozen=True)
class Transition:
    record: OrderRecord
    command: Command | None = None


class Refused(Exception):
    """An operator asked for something the order's state does not allow; the
    message is one sentence for the operator."""



def _replace_step(attempt: Attempt, step: StepState) -> Attempt:
    steps = tuple(step if s.name == step.name else s for s in attempt.steps)
    return attempt.model_copy(update={"steps": steps})


def _with_attempt(record: OrderRecord, attempt: Attempt, at: datetime, **changes: object) -> OrderRecord:
    attempts = record.attempts[:-1] + (attempt,)
    return record.model_copy(update={"attempts": attempts, "updated_at": at, **changes})


def _event(record: OrderRecord, at: datetime, attempt: int, step: str, action: Action,
           outcome: Outcome, reason: str = "") -> tuple[TimelineEvent, ...]:
    event = TimelineEvent(at=at, order=record.order.id, attempt=attempt, step=step,
                          action=action, outcome=outcome, reason=reason)
    return record.timeline + (event,)


def _notify(record: OrderRecord, at: datetime, attempt: int, kind: NotificationKind,
            message: str) -> tuple[Notification, ...]:
    return record.notifications + (Notification(at=at, attempt=attempt, kind=kind, message=message),)


def outstanding_command(record: OrderRecord) -> Command | None:
    """The command the record is waiting on, to (re)send after a restart or timeout."""
    attempt = record.current_attempt
    if attempt is None:
        return None
    for step in attempt.steps:
        if step.status == StepStatus.RUNNING:
            return Command(definition(step.name).service,
                           IdempotencyKey(order=record.order.id, step=step.name,
                                          attempt=attempt.number, action=Action.EXECUTE))
        if step.status == StepStatus.COMPENSATING:
            return Command(definition(step.name).service,
                           IdempotencyKey(order=record.order.id, step=step.name,
                                          attempt=step.applied_in or attempt.number,
                                          action=Action.COMPENSATE))
    return None


def _start_step(record: OrderRecord, attempt: Attempt, index: int, at: datetime) -> Transition:
    step = attempt.steps[index].model_copy(update={"status": StepStatus.RUNNING})
    attempt = _replace_step(attempt, step)
    record = _with_attempt(record, attempt, at, status=SagaStatus.RUNNING,
                           timeline=_event(record, at, attempt.number, step.name,
                                           Action.EXECUTE, Outcome.STARTED))
    return Transition(record, outstanding_command(record))


def begin_attempt(record: OrderRecord, at: datetime) -> Transition:
    """Start the next attempt: from scratch, or (held order) at its failed step."""
    previous = record.current_attempt
    keep_done = previous is not None and record.status == SagaStatus.ON_HOLD
    steps = []
    for plan_step in SAGA_PLAN:
        kept = previous.step(plan_step.name) if keep_done and previous else None
        if kept is not None and kept.status == StepStatus.SUCCEEDED:
            steps.append(kept)
        else:
            steps.append(StepState(name=plan_step.name))
    attempt = Attempt(number=len(record.attempts) + 1, steps=tuple(steps))
    record = record.model_copy(update={"attempts": record.attempts + (attempt,)})
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
        notifications = _notify(record, at, attempt.number, NotificationKind.CONFIRMATION, message)
    return Transition(_with_attempt(record, attempt, at, status=SagaStatus.COMPLETED,
                                    notifications=notifications))


def _fail_step(record: OrderRecord, attempt: Attempt, step_name: str, reason: str,
               recoverable: bool, uncertain: bool, at: datetime, shortfall: bool = False) -> Transition:
    step = attempt.step(step_name)
    step = step.model_copy(update={"status": StepStatus.FAILED,
                                   "applied_in": attempt.number if uncertain else None})
    failure = Failure(step=step_name, reason=reason, recoverable=recoverable, shortfall=shortfall)
    attempt = _replace_step(attempt, step).model_copy(
        update={"failure": failure, "uncertain_step": step_name if uncertain else None})
    timeline = _event(record, at, attempt.number, step_name, Action.EXECUTE, Outcome.FAILED, reason)
    if recoverable and not uncertain and record.policy == RecoverablePolicy.HOLD:
        message = (f"Order {record.order.id} is on hold at {step_name}: {reason}. "
                   "Completed steps are kept; retry once resolved, or cancel.")
        return Transition(_with_attempt(
            record, attempt, at, status=SagaStatus.ON_HOLD, timeline=timeline,
            notifications=_notify(record, at, attempt.number, NotificationKind.ON_HOLD, message)))
    record = _with_attempt(record, attempt, at, timeline=timeline)
    return _next_compensation(record, at)


def _needs_compensation(attempt: Attempt, step: StepState) -> bool:
    if step.status == StepStatus.SUCCEEDED:
        return True
    return step.status == StepStatus.FAILED and step.name == attempt.uncertain_step


def _next_compensation(record: OrderRecord, at: datetime) -> Transition:
    """Compensate the latest step still holding an effect, or finish as failed (or cancelled)."""
    attempt = record.current_attempt
    assert attempt is not None
    for step in reversed(attempt.steps):
        if _needs_compensation(attempt, step):
            step = step.model_copy(update={"status": StepStatus.COMPENSATING})
            attempt = _replace_step(attempt, step)
            record = _with_attempt(record, attempt, at, status=SagaStatus.COMPENSATING,
                                   timeline=_event(record, at, attempt.number, step.name,
                                                   Action.COMPENSATE, Outcome.STARTED))
            return Transition(record, outstanding_command(record))
    failure = attempt.failure
    assert failure is not None
    if record.cancelled:
        return _close_cancelled(record, attempt, at)
    retry_hint = " You can retry once it is resolved." if failure.recoverable else ""
    message = (f"Order {record.order.id} failed at {failure.step}: {failure.reason}. "
               f"Nothing is charged or reserved.{retry_hint}")
    return Transition(_with_attempt(
        record, attempt, at, status=SagaStatus.FAILED,
        notifications=_notify(record, at, attempt.number, NotificationKind.FAILURE, message)))


def _close_cancelled(record: OrderRecord, attempt: Attempt, at: datetime) -> Transition:
    """Every kept step of a cancelled held order is compensated: tell the customer why it stopped."""
    step, reason = _held_failure(record, attempt)
    message = (f"Order {record.order.id} was cancelled by an operator while on hold at {step} "
               f"({reason}). Nothing is charged or reserved.")
    return Transition(_with_attempt(
        record, attempt, at, status=SagaStatus.CANCELLED,
        notifications=_notify(record, at, attempt.number, NotificationKind.CANCELLATION, message)))


def _held_failure(record: OrderRecord, attempt: Attempt) -> tuple[str, str]:
    """The step and reason the attempt failed with, as its timeline says, before a cancel reworded it."""
    failed = next(event for event in reversed(record.timeline)
                  if event.attempt == attempt.number and event.outcome == Outcome.FAILED)
    return failed.step, failed.reason


def apply_reply(record: OrderRecord, reply: ParticipantReply, at: datetime) -> Transition | None:
    """Fold a participant's reply into the record; None when it answers nothing outstanding."""
    expected = outstanding_command(record)
    if expected is None or expected.key != reply.key:
        return None
    attempt = record.current_attempt
    assert attempt is not None
    step = attempt.step(reply.key.step)
    if reply.key.action == Action.EXECUTE:
        if not reply.ok:
            return _fail_step(record, attempt, step.name, reply.reason, reply.recoverable,
                              uncertain=False, at=at, shortfall=reply.shortfall)
        attempt = _replace_step(attempt, step.model_copy(
            update={"status": StepStatus.SUCCEEDED, "applied_in": attempt.number}))
        record = _with_attempt(record, attempt, at, timeline=_event(
            record, at, attempt.number, step.name, Action.EXECUTE, Outcome.SUCCEEDED))
        index = [s.name for s in attempt.steps].index(step.name)
        if index + 1 < len(attempt.steps):
            return _start_step(record, attempt, index + 1, at)
        return _complete(record, attempt, at)
    if not reply.ok:
        return Transition(record.model_copy(update={
            "updated_at": at,
            "timeline": _event(record, at, attempt.number, step.name, Action.COMPENSATE,
                               Outcome.RETRYING, reply.reason)}), expected)
    attempt = _replace_step(attempt, step.model_copy(update={"status": StepStatus.COMPENSATED}))
    record = _with_attempt(record, attempt, at, timeline=_event(
        record, at, attempt.number, step.name, Action.COMPENSATE, Outcome.COMPENSATED))
    return _next_compensation(record, at)


def no_answer(record: OrderRecord, key: IdempotencyKey, tries: int, max_tries: int,
              waited_ms: int, at: datetime) -> Transition | None:
    """A command went unanswered: ask again with the same key, or give the step up.

    Execution is retried `max_tries` times; then its outcome is unknown, so the
    step fails and is compensated with the rest. Compensation is retried forever.
    """
    expected = outstanding_command(record)
    if expected is None or expected.key != key:
        return None
    attempt = record.current_attempt
    assert attempt is not None
    service = expected.service.value
    if key.action == Action.EXECUTE and tries >= max_tries:
        reason = f"{service} did not answer after {tries} tries"
        return _fail_step(record, attempt, key.step, reason, recoverable=True,
                          uncertain=True, at=at)
    reason = f"no answer from {service} within {waited_ms} ms"
    return Transition(record.model_copy(update={
        "updated_at": at,
        "timeline": _event(record, at, attempt.number, key.step, key.action,
                           Outcome.RETRYING, reason)}), expected)


def resume(record: OrderRecord, at: datetime) -> Transition | None:
    """What to do with a record found in storage on start: begin it, ask again, or nothing."""
    if record.status == SagaStatus.PENDING:
        return begin_attempt(record, at)
    command = outstanding_command(record)
    attempt = record.current_attempt
    if command is None or attempt is None:
        return None
    return Transition(record.model_copy(update={
        "updated_at": at,
        "timeline": _event(record, at, attempt.number, command.key.step, command.key.action,
                           Outcome.RETRYING, "asked again after a restart")}), command)


def retry(record: OrderRecord, at: datetime) -> Transition:
    """Start a new attempt of a failed or held order, or say why not."""
    order_id = record.order.id
    failure = record.failure
    if record.status == SagaStatus.ON_HOLD:
        return begin_attempt(record, at)
    if record.cancelled:  # cancelled, or failed in a database written before that status
        raise Refused(f"Order {order_id} was cancelled by an operator and cannot be retried.")
    if record.status != SagaStatus.FAILED or failure is None:
        status = record.status.value.replace("_", " ")
        raise Refused(f"Order {order_id} is {status}; only a failed or held order can be retried.")
    if not failure.recoverable:
        raise Refused(f"Order {order_id} cannot be retried: its {failure.step} step failed "
                           f"for a reason that is not recoverable ({failure.reason}).")
    return begin_attempt(record, at)


def cancel(record: OrderRecord, at: datetime) -> Transition:
    """Compensate a held order's kept steps and close it as cancelled."""
    attempt = record.current_attempt
    if record.status != SagaStatus.ON_HOLD or attempt is None or attempt.failure is None:
        status = record.status.value.replace("_", " ")
        raise Refused(f"Order {record.order.id} is {status}; only an order on hold can be cancelled.")
    failure = attempt.failure.model_copy(update={
        "reason": f"Cancelled while on hold ({attempt.failure.reason})", "recoverable": False})
    attempt = attempt.model_copy(update={"failure": failure})
    record = _with_attempt(record, attempt, at, cancelled=True)
    return _next_compensation(record, at)
