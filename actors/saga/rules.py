"""The saga state machine as pure functions over immutable records.

The coordinator actor only does I/O around these: it persists the record a
function returns, and only then sends the command it names. Keeping the rules
here makes them testable without threads and lets recovery use the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from actors.saga import values
from actors.saga.domain import (
    ORDER_STEP,
    QUANTITY,
    STORED,
    Action,
    Attempt,
    Correction,
    Failure,
    Frozen,
    IdempotencyKey,
    Item,
    Notification,
    NotificationKind,
    OperatorAction,
    Order,
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
    now,
)
from actors.saga.errors import Refused
from actors.saga.operators import Credit
from actors.saga.limits import MAX_UNITS
from actors.saga.plan import SAGA_PLAN, STEP_NAMES, definition


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
_set_attribute = object.__setattr__  # how pydantic itself fills in a frozen model it copies


def _copy(model: _Model, **changes: Any) -> _Model:
    """model.model_copy(update=changes) at half its cost, for the hot path of every transition.

    Neither validates the changes (they come from the rules here, with the fields' own types),
    so the copy is the same frozen model of the same type; model_copy merely pays for copying
    what a Frozen model never has (extra fields, private attributes) through copy.copy.
    """
    return _built(model.__class__, {**model.__dict__, **changes},
                  model.__pydantic_fields_set__ | changes.keys())


def _new(model_class: type[_Model], **fields: Any) -> _Model:
    """model_class(**fields) without validating them, as _copy makes its copies (a third of the
    cost of a timeline event or a key, made several times per transition): the rules here give
    every field, with its own type."""
    return _built(model_class, fields, set(fields))


def _built(model_class: type[_Model], fields: dict[str, Any], fields_set: set[str]) -> _Model:
    """A frozen model filled in as pydantic fills in one it copies."""
    made = model_class.__new__(model_class)
    _set_attribute(made, "__dict__", fields)
    _set_attribute(made, "__pydantic_fields_set__", fields_set)
    _set_attribute(made, "__pydantic_extra__", None)
    _set_attribute(made, "__pydantic_private__", None)
    return made


# Every attempt starts with its steps pending: the same immutable states each time.
_PENDING = {name: StepState(name=name) for name in STEP_NAMES}


def _replace_step(attempt: Attempt, step: StepState) -> Attempt:
    steps = tuple(step if s.name == step.name else s for s in attempt.steps)
    return _copy(attempt, steps=steps)


def _with_attempt(record: OrderRecord, attempt: Attempt, at: datetime, **changes: object) -> OrderRecord:
    attempts = record.attempts[:-1] + (attempt,)
    return _copy(record, attempts=attempts, updated_at=at, **changes)


def _event(record: OrderRecord, at: datetime, attempt: int, step: str, action: Action,
           outcome: Outcome, reason: str = "") -> tuple[TimelineEvent, ...]:
    """The record's timeline with one more event."""
    return record.timeline + (_timeline_event(record, at, attempt, step, action, outcome, reason),)


def _timeline_event(record: OrderRecord, at: datetime, attempt: int, step: str, action: Action,
                    outcome: Outcome, reason: str = "") -> TimelineEvent:
    return _new(TimelineEvent, at=at, order=record.order.id, attempt=attempt, step=step,
                action=action, outcome=outcome, reason=reason, by=None)


def _operator_event(record: OrderRecord, at: datetime, action: OperatorAction, by: str,
                    reason: str) -> TimelineEvent:
    """What an operator did to the order, under the attempt it follows, with who did it."""
    attempt = record.current_attempt
    return _new(TimelineEvent, at=at, order=record.order.id, attempt=attempt.number if attempt else 0,
                step=ORDER_STEP, action=action, outcome=Outcome.SUCCEEDED, reason=reason, by=by)


def _notify(record: OrderRecord, at: datetime, attempt: int, kind: NotificationKind,
            message: str) -> tuple[Notification, ...]:
    return record.notifications + (_new(Notification, at=at, attempt=attempt, kind=kind, message=message),)


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
    """one == other, compared field by field: a model's own equality costs several times more,
    and the coordinator compares keys at every transition."""
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
                   _new(IdempotencyKey, order=record.order.id, step=step, attempt=attempt, action=action))


def _start_step(record: OrderRecord, attempt: Attempt, index: int, at: datetime,
                succeeded: StepState | None = None) -> Transition:
    """Start the attempt's step at index; succeeded, when given, is the step before it, which just
    succeeded: both changes make one new record (as they are one transition)."""
    steps = list(attempt.steps)
    timeline = record.timeline
    if succeeded is not None:
        steps[index - 1] = succeeded
        timeline += (_timeline_event(record, at, attempt.number, succeeded.name,
                                     Action.EXECUTE, Outcome.SUCCEEDED),)
    step = steps[index] = _copy(steps[index], status=StepStatus.RUNNING)
    attempt = _copy(attempt, steps=tuple(steps))
    timeline += (_timeline_event(record, at, attempt.number, step.name, Action.EXECUTE, Outcome.STARTED),)
    record = _with_attempt(record, attempt, at, status=SagaStatus.RUNNING, timeline=timeline)
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
    attempt = _new(Attempt, number=len(record.attempts) + 1, steps=tuple(steps), version=record.version,
                   failure=None, uncertain_step=None, redo_from=None)
    record = _copy(record, attempts=record.attempts + (attempt,))
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
    step = _copy(step, status=StepStatus.FAILED, applied_in=attempt.number if uncertain else None)
    failure = Failure(step=step_name, reason=reason, recoverable=recoverable, shortfall=shortfall)
    attempt = _copy(_replace_step(attempt, step), failure=failure,
                    uncertain_step=step_name if uncertain else None)
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
    """Compensate the latest step still holding an effect, or finish as failed (or cancelled).

    After a correction (redo_from), only the steps from redo_from on are compensated,
    and then the next attempt starts there instead.
    """
    attempt = record.current_attempt
    assert attempt is not None
    floor = STEP_NAMES.index(attempt.redo_from) if attempt.redo_from else 0
    for step in reversed(attempt.steps[floor:]):
        if _needs_compensation(attempt, step):
            step = _copy(step, status=StepStatus.COMPENSATING)
            attempt = _replace_step(attempt, step)
            record = _with_attempt(record, attempt, at, status=SagaStatus.COMPENSATING,
                                   timeline=_event(record, at, attempt.number, step.name,
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
    if not awaits(record, reply.key):
        return None
    attempt = record.current_attempt
    assert attempt is not None
    step = attempt.step(reply.key.step)
    if reply.key.action == Action.EXECUTE:
        if not reply.ok:
            return _fail_step(record, attempt, step.name, reply.reason, reply.recoverable,
                              uncertain=False, at=at, shortfall=reply.shortfall)
        succeeded = _copy(step, status=StepStatus.SUCCEEDED, applied_in=attempt.number)
        index = next(i for i, s in enumerate(attempt.steps) if s.name == step.name)
        if index + 1 < len(attempt.steps):
            return _start_step(record, attempt, index + 1, at, succeeded)
        attempt = _replace_step(attempt, succeeded)
        record = _with_attempt(record, attempt, at, timeline=_event(
            record, at, attempt.number, step.name, Action.EXECUTE, Outcome.SUCCEEDED))
        return _complete(record, attempt, at)
    if not reply.ok:
        return Transition(_copy(record, updated_at=at, timeline=_event(
            record, at, attempt.number, step.name, Action.COMPENSATE, Outcome.RETRYING,
            reply.reason)), outstanding_command(record))
    attempt = _replace_step(attempt, _copy(step, status=StepStatus.COMPENSATED))
    record = _with_attempt(record, attempt, at, timeline=_event(
        record, at, attempt.number, step.name, Action.COMPENSATE, Outcome.COMPENSATED))
    return _next_compensation(record, at)


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
    return Transition(_copy(record, updated_at=at, timeline=_event(
        record, at, attempt.number, key.step, key.action, Outcome.RETRYING, reason)), expected)


def resume(record: OrderRecord, at: datetime) -> Transition | None:
    """What to do with a record found in storage on start: begin it, ask again, or nothing."""
    if record.status == SagaStatus.PENDING:
        return begin_attempt(record, at)
    command = outstanding_command(record)
    attempt = record.current_attempt
    if command is None or attempt is None:
        return None
    return Transition(_copy(record, updated_at=at, timeline=_event(
        record, at, attempt.number, command.key.step, command.key.action, Outcome.RETRYING,
        "asked again after a restart")), command)


def _must_be_retryable(record: OrderRecord, done: str) -> None:
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
    _must_be_retryable(record, "retried")
    plan = plan_retry(record)
    record = _copy(record, timeline=record.timeline + (
        _operator_event(record, at, OperatorAction.RETRY, by, plan.describe()),))
    if not plan.undo:
        return begin_attempt(record, at)
    attempt = record.current_attempt
    assert attempt is not None
    record = _with_attempt(record, _copy(attempt, redo_from=plan.start), at)
    return _next_compensation(record, at)


def cancel(record: OrderRecord, at: datetime, by: str) -> Transition:
    """Compensate a held order's kept steps and close it as cancelled; the timeline records who."""
    attempt = record.current_attempt
    if record.status != SagaStatus.ON_HOLD or attempt is None or attempt.failure is None:
        status = record.status.value.replace("_", " ")
        raise Refused(f"Order {record.order.id} is {status}; only an order on hold can be cancelled.")
    record = _copy(record, timeline=record.timeline + (
        _operator_event(record, at, OperatorAction.CANCEL, by, "its kept steps are compensated"),))
    failure = _copy(attempt.failure, reason=f"Cancelled while on hold ({attempt.failure.reason})",
                    recoverable=False)
    attempt = _copy(attempt, failure=failure)
    record = _with_attempt(record, attempt, at, cancelled=True)
    return _next_compensation(record, at)


# -- corrections: a new version of a failed or held order's input --------------------------
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


def correction(order_id: str, ship_to: str | None = None, quantity: Mapping[str, int] | None = None,
               remove: Iterable[str] = ()) -> Correction:
    """A correction from the values an operator typed; Refused names the first that cannot be,
    by the rules every door applies (actors/saga/values.py)."""
    quantity, remove = dict(quantity or {}), tuple(remove)
    try:
        values.ORDER_ID.check(order_id)
        if ship_to is None and not quantity and not remove:
            raise Refused(f"Say what to correct in order {order_id}: its address, the quantity of an "
                          "item, or an item to remove.")
        if ship_to is not None:
            values.SHIP_TO.check(ship_to)
        for sku, units in quantity.items():
            values.SKU.check(sku)
            if units == 0:
                raise Refused(f"The quantity of {sku} must be from 1 to {MAX_UNITS:,} (got 0); "
                              "to take an item off the order, remove it.")
            QUANTITY.check(units)
        for sku in remove:
            values.SKU.check(sku)
    except values.BadValue as bad:
        raise Refused(str(bad)) from None
    return Correction(order=order_id, ship_to=ship_to, quantity=quantity, remove=remove)


def _corrected(order: Order, change: Correction) -> tuple[Order, list[str]]:
    """The order as the correction makes it, and each change in words; Refused says why not."""
    skus = [item.sku for item in order.items]
    for sku in (*change.quantity, *change.remove):
        if sku not in skus:
            raise Refused(f"Order {order.id} has no item {sku}; a correction can change the "
                          "quantity of an item or remove one, not add one.")
    for sku in change.quantity:
        if sku in change.remove:
            raise Refused(f"{sku} cannot both get a new quantity and be removed.")
        if skus.count(sku) > 1:
            raise Refused(f"Order {order.id} has {sku} on {skus.count(sku)} lines, so a quantity "
                          "cannot say which one to change.")
    items: list[Item] = []
    changes: list[str] = []
    if change.ship_to is not None and change.ship_to != order.ship_to:
        changes.append(f'ship_to changed from "{order.ship_to}" to "{change.ship_to}"')
    for item in order.items:
        units = change.quantity.get(item.sku, item.quantity)
        if item.sku in change.remove:
            changes.append(f"{item.sku} removed (quantity {item.quantity})")
            continue
        if units != item.quantity:
            changes.append(f"{item.sku} quantity {item.quantity} -> {units}")
        items.append(item.model_copy(update={"quantity": units}))  # units: checked in the correction
    if not items:
        raise Refused(f"Order {order.id} must keep at least one item; this correction removes them all.")
    try:
        # The names as stored (an older ordersaga may have written longer ones), the change as typed.
        corrected = Order.model_validate({"id": order.id, "customer": order.customer, "ship_to": change.ship_to
                                          or order.ship_to, "items": tuple(items)}, context=STORED)
    except ValidationError as error:  # over a cap of one top-up or one restock
        problem = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise Refused(f"Order {order.id} cannot be corrected so: {problem}.") from None
    if not changes:
        raise Refused(f"Order {order.id} already is as this correction asks; it changes nothing.")
    return corrected, changes


def must_be_correctable(record: OrderRecord) -> None:
    """Refused unless the order may be corrected: exactly when it may be retried."""
    _must_be_retryable(record, "corrected")


def edit(record: OrderRecord, change: Correction, at: datetime, by: str) -> Transition:
    """Make a new version of a failed or held order's input; the next retry runs on it.

    Nothing is sent: the participants hold what earlier versions applied until the retry
    (plan_retry) undoes what no longer fits. The edit is an operator event in the timeline,
    under the attempt it follows, and the customer is told.
    """
    must_be_correctable(record)
    attempt = record.current_attempt
    assert attempt is not None
    corrected, changes = _corrected(record.order, change)
    version = record.version + 1
    event = _operator_event(record, at, OperatorAction.EDIT, by, f"version {version}: {'; '.join(changes)}")
    message = (f"Order {record.order.id} was corrected: {'; '.join(changes)}. It now comes to "
               f"{format_cents(corrected.total_cents)}, shipping to {corrected.ship_to}.")
    return Transition(_copy(
        record, order=corrected, earlier_versions=record.earlier_versions + (record.order,),
        timeline=record.timeline + (event,), updated_at=at,
        notifications=_notify(record, at, attempt.number, NotificationKind.CORRECTION, message)))


def preview_edit(record: OrderRecord, change: Correction) -> str:
    """What the correction would change and what the retry would then do, on two lines;
    Refused says why it cannot be made."""
    corrected = edit(record, change, now(), by="").record
    return f"Saving makes {corrected.timeline[-1].reason}.\nRetrying it {plan_retry(corrected).describe()}."


def credited(record: OrderRecord, credit: Credit) -> Transition:
    """Tell in the order's timeline of a top-up or restock made for it (see operators.waits_on):
    under its current attempt, with who made it; nothing is sent."""
    event = _operator_event(record, credit.at, credit.action, credit.by, credit.words())
    return Transition(_copy(record, timeline=record.timeline + (event,), updated_at=credit.at))
