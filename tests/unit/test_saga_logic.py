"""The saga rules, step by step, without threads: what an order's record says after each answer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from actors.saga import retrying
from actors.saga import rules as saga_logic
from actors.saga.domain import (
    Action,
    IdempotencyKey,
    Item,
    NotificationKind,
    Order,
    OrderRecord,
    ParticipantReply,
    RecoverablePolicy,
    SagaStatus,
    StepStatus,
    now,
)
from actors.saga.errors import Refused
from actors.saga.transitions import Transition

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=2, price_cents=500),))


def start(policy: RecoverablePolicy = RecoverablePolicy.COMPENSATE) -> Transition:
    return saga_logic.begin_attempt(OrderRecord(order=ORDER, policy=policy), now())


def answer(transition: Transition, ok: bool = True, reason: str = "", recoverable: bool = True) -> Transition:
    """The participant's answer to the command the transition sent."""
    assert transition.command is not None, "no command is outstanding"
    reply = ParticipantReply(key=transition.command.key, ok=ok, reason=reason, recoverable=recoverable)
    result = saga_logic.apply_reply(transition.record, reply, now())
    assert result is not None
    return result


def steps(record: OrderRecord) -> dict[str, StepStatus]:
    attempt = record.current_attempt
    assert attempt is not None
    return {s.name: s.status for s in attempt.steps}


def timeline(record: OrderRecord, attempt: int | None = None) -> list[tuple[str, str, str]]:
    return [(e.step, e.action.value, e.outcome.value) for e in record.timeline
            if attempt is None or e.attempt == attempt]


def test_a_saga_runs_its_steps_in_plan_order_and_confirms_once() -> None:
    t = start()
    sent = [t.command.key.step]
    for _ in range(2):
        t = answer(t)
        sent.append(t.command.key.step)
    t = answer(t)
    assert sent == ["inventory", "payment", "shipping"]
    assert t.record.status == SagaStatus.COMPLETED and t.command is None
    assert [n.kind for n in t.record.notifications] == [NotificationKind.CONFIRMATION]
    assert "o-1 is complete" in t.record.notifications[0].message


def test_status_names_the_step_in_progress_and_those_finished() -> None:
    t = answer(start())
    assert t.record.status == SagaStatus.RUNNING
    assert t.record.current_step == "payment"
    assert steps(t.record) == {"inventory": StepStatus.SUCCEEDED, "payment": StepStatus.RUNNING,
                               "shipping": StepStatus.PENDING}


def test_a_failure_compensates_completed_steps_in_reverse_and_not_the_failed_one() -> None:
    t = answer(answer(start()))
    t = answer(t, ok=False, reason="Carrier unavailable")
    assert t.record.status == SagaStatus.COMPENSATING
    assert t.command.key.step == "payment" and t.command.key.action == Action.COMPENSATE
    t = answer(t)
    assert t.command.key.step == "inventory"
    t = answer(t)
    assert t.record.status == SagaStatus.FAILED and t.command is None
    assert timeline(t.record)[-5:] == [
        ("shipping", "execute", "failed"),
        ("payment", "compensate", "started"), ("payment", "compensate", "compensated"),
        ("inventory", "compensate", "started"), ("inventory", "compensate", "compensated")]
    assert steps(t.record)["shipping"] == StepStatus.FAILED
    failure = t.record.failure
    assert failure is not None and failure.step == "shipping" and failure.reason == "Carrier unavailable"
    notices = [n for n in t.record.notifications if n.kind == NotificationKind.FAILURE]
    assert len(notices) == 1 and "Carrier unavailable" in notices[0].message


def test_a_failing_compensation_is_asked_again_with_the_same_key_and_logged() -> None:
    t = answer(answer(start()), ok=False, reason="Declined")
    key = t.command.key
    for _ in range(3):
        t = answer(t, ok=False, reason="Gateway down")
        assert t.command.key == key
    t = answer(t)
    assert t.record.status == SagaStatus.FAILED
    assert timeline(t.record).count(("inventory", "compensate", "retrying")) == 3


def test_an_unanswered_step_is_asked_again_then_failed_and_compensated_itself() -> None:
    t = answer(start())
    key = t.command.key
    for tries in (1, 2):
        t = saga_logic.no_answer(t.record, key, tries, max_tries=3, waited_ms=50, at=now())
        assert t.command.key == key
    t = saga_logic.no_answer(t.record, key, 3, max_tries=3, waited_ms=50, at=now())
    assert t.record.failure.reason == "payment did not answer after 3 tries"
    # Its effect may have applied: it is compensated first (a no-op if it never arrived).
    assert (t.command.key.step, t.command.key.action) == ("payment", Action.COMPENSATE)
    t = answer(answer(t))
    assert t.record.status == SagaStatus.FAILED
    assert timeline(t.record).count(("payment", "execute", "retrying")) == 2


def test_a_late_or_duplicate_reply_changes_nothing() -> None:
    first = start()
    second = answer(first)
    stale = ParticipantReply(key=first.command.key, ok=True)
    assert saga_logic.apply_reply(second.record, stale, now()) is None


def test_retry_after_compensation_starts_a_new_attempt_from_the_first_step() -> None:
    failed = answer(answer(answer(start()), ok=False, reason="Insufficient funds"))
    assert failed.record.status == SagaStatus.FAILED
    t = retrying.retry(failed.record, now(), "ann")
    assert len(t.record.attempts) == 2 and t.command.key.step == "inventory"
    assert t.command.key.attempt == 2
    t = answer(answer(answer(t)))
    assert t.record.status == SagaStatus.COMPLETED
    kinds = [n.kind for n in t.record.notifications]
    assert kinds == [NotificationKind.FAILURE, NotificationKind.CONFIRMATION]


def test_hold_keeps_done_steps_and_retry_resumes_at_the_failed_one() -> None:
    held = answer(answer(start(RecoverablePolicy.HOLD)), ok=False, reason="Insufficient funds")
    assert held.record.status == SagaStatus.ON_HOLD and held.command is None
    assert steps(held.record)["inventory"] == StepStatus.SUCCEEDED
    assert held.record.notifications[-1].kind == NotificationKind.ON_HOLD
    t = retrying.retry(held.record, now(), "ann")
    assert (t.command.key.step, t.command.key.attempt) == ("payment", 2)
    t = answer(answer(t))
    assert t.record.status == SagaStatus.COMPLETED
    assert [step for step, _, _ in timeline(t.record, attempt=2)] == ["payment"] * 2 + ["shipping"] * 2


def test_cancelling_a_held_order_compensates_the_kept_steps_under_their_own_attempt() -> None:
    held = answer(answer(start(RecoverablePolicy.HOLD)), ok=False, reason="Insufficient funds")
    resumed = retrying.retry(held.record, now(), "ann")
    held_again = answer(resumed, ok=False, reason="Insufficient funds")
    t = retrying.cancel(held_again.record, now(), "ann")
    # The reservation was made by attempt 1: its compensation names attempt 1.
    assert (t.command.key.step, t.command.key.attempt, t.command.key.action) == (
        "inventory", 1, Action.COMPENSATE)
    t = answer(t)
    assert t.record.status == SagaStatus.CANCELLED and t.record.cancelled
    with pytest.raises(Refused, match="cancelled by an operator"):
        retrying.retry(t.record, now(), "ann")


def test_a_cancel_ends_cancelled_once_compensated_with_one_notice_giving_the_reason() -> None:
    held = answer(answer(start(RecoverablePolicy.HOLD)), ok=False, reason="Insufficient funds")
    t = retrying.cancel(held.record, now(), "ann")
    assert t.record.status == SagaStatus.COMPENSATING and not t.record.status.settled
    t = answer(t)
    assert t.record.status == SagaStatus.CANCELLED and t.record.status.settled and t.command is None
    assert [n.kind for n in t.record.notifications] == [NotificationKind.ON_HOLD,
                                                         NotificationKind.CANCELLATION]
    assert t.record.notifications[-1].message == (
        "Order o-1 was cancelled by an operator while on hold at payment (Insufficient funds). "
        "Nothing is charged or reserved.")
    assert t.record.failure.reason == "Cancelled while on hold (Insufficient funds)"
    with pytest.raises(Refused, match="only an order on hold can be cancelled"):
        retrying.cancel(t.record, now(), "ann")


def test_a_cancel_stored_before_the_cancelled_status_reads_as_failed_and_is_not_retried() -> None:
    held = answer(answer(start(RecoverablePolicy.HOLD)), ok=False, reason="Insufficient funds")
    cancelled = answer(retrying.cancel(held.record, now(), "ann")).record
    document = cancelled.model_dump(mode="json")
    document["status"] = "failed"  # as a cancel ended before the cancelled status existed
    document["notifications"][-1]["kind"] = "failure"
    old = OrderRecord.model_validate(document)
    assert old.status == SagaStatus.FAILED and old.cancelled and old.status.settled
    with pytest.raises(Refused, match="cancelled by an operator"):
        retrying.retry(old, now(), "ann")


def test_a_non_recoverable_failure_compensates_even_under_hold_and_refuses_retry() -> None:
    t = answer(answer(start(RecoverablePolicy.HOLD)), ok=False, reason="Card declined", recoverable=False)
    t = answer(t)
    assert t.record.status == SagaStatus.FAILED
    with pytest.raises(Refused, match=r"not recoverable \(Card declined\)"):
        retrying.retry(t.record, now(), "ann")


@pytest.mark.parametrize("progress, expected", [(0, "is running"), (3, "is completed")])
def test_retry_of_an_order_that_has_not_failed_is_refused_with_its_state(progress: int, expected: str) -> None:
    t = start()
    for _ in range(progress):
        t = answer(t)
    with pytest.raises(Refused, match=expected):
        retrying.retry(t.record, now(), "ann")


def test_cancel_is_only_for_held_orders() -> None:
    with pytest.raises(Refused, match="only an order on hold can be cancelled"):
        retrying.cancel(start().record, now(), "ann")


def test_resume_begins_pending_orders_and_asks_again_for_an_unanswered_step() -> None:
    pending = OrderRecord(order=ORDER)
    begun = saga_logic.resume(pending, now())
    assert begun is not None and begun.command.key.step == "inventory"
    in_flight = answer(begun)
    again = saga_logic.resume(in_flight.record, now())
    assert again is not None and again.command == in_flight.command
    assert again.record.timeline[-1].reason == "asked again after a restart"
    done = answer(answer(in_flight))
    assert saga_logic.resume(done.record, now()) is None


def test_every_record_a_transition_makes_is_frozen_and_stores_and_reads_back_the_same() -> None:
    """The rules copy records without validating them again: what they make must still be
    immutable (an actor message) and exactly what storage reads back."""
    held = start(RecoverablePolicy.HOLD)
    made = [held, answer(held)]
    made.append(answer(made[-1], ok=False, reason="Card declined"))
    made.append(retrying.cancel(made[-1].record, now(), "ann"))
    made.append(saga_logic.no_answer(made[-1].record, made[-1].command.key, 1, 4, 250, now()))
    made.append(answer(made[-1]))
    for transition in made:
        record = transition.record
        stored = OrderRecord.model_validate(record.model_dump(mode="json"))
        assert stored == record and stored.model_dump() == record.model_dump()
        assert type(stored.current_attempt) is type(record.current_attempt)
        with pytest.raises(ValidationError):
            record.current_attempt.steps[0].status = StepStatus.PENDING
        with pytest.raises(ValidationError):
            record.timeline[-1].reason = "rewritten"
        if transition.command is not None:  # a key names one effect: equal keys are one dict key
            key = transition.command.key
            assert {key: 1}.get(IdempotencyKey.model_validate(key.model_dump())) == 1
    assert made[-1].record.status == SagaStatus.CANCELLED and made[-1].record.cancelled
