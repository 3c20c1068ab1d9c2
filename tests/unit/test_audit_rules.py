"""The audit's rules on hand-written records: saga order, status, notices, conservation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actors import WorldSnapshot, stream_of
from actors.saga.domain import (
    Action,
    Item,
    Notification,
    NotificationKind,
    OperatorAction,
    Order,
    OrderRecord,
    Outcome,
    SagaStatus,
    TimelineEvent,
)
from app.audit import AuditError, Kind, audit, audit_stream
from app.audit.timeline import Fate, replay

AT = datetime(2026, 1, 1, tzinfo=UTC)
ORDER = Order(id="o-1", customer="ann", ship_to="1 Main St",
              items=(Item(sku="LAMP", quantity=1, price_cents=3500),))

COMPLETE = ["1 inventory execute started", "1 inventory execute succeeded",
            "1 payment execute started", "1 payment execute succeeded",
            "1 shipping execute started", "1 shipping execute succeeded"]
DECLINED = ["1 inventory execute started", "1 inventory execute succeeded",
            "1 payment execute started", "1 payment execute failed declined"]


def record(*events: str, status: SagaStatus = SagaStatus.COMPLETED,
           notices: tuple[tuple[int, str, str], ...] = ()) -> OrderRecord:
    """A record whose timeline is events, each 'ATTEMPT STEP ACTION OUTCOME [REASON]',
    and whose notices are (attempt, kind, message)."""
    timeline = []
    for text in events:
        attempt, step, action, outcome, *reason = text.split()
        timeline.append(TimelineEvent(at=AT, order="o-1", attempt=int(attempt), step=step,
                                      action=OperatorAction(action) if step == "order" else Action(action),
                                      outcome=Outcome(outcome),
                                      reason=" ".join(reason)))
    notifications = tuple(Notification(at=AT, attempt=attempt, kind=NotificationKind(kind), message=text)
                          for attempt, kind, text in notices)
    return OrderRecord(order=ORDER, status=status, timeline=tuple(timeline),
                       notifications=notifications)


def problems(*events: str) -> list[str]:
    return replay(record(*events)).problems


@pytest.mark.parametrize("events", [
    pytest.param(COMPLETE, id="every step"),
    pytest.param(["1 inventory execute started", "1 inventory execute retrying no answer",
                  "1 inventory execute succeeded", "1 payment execute started",
                  "1 payment execute failed declined", "1 inventory compensate started",
                  "1 inventory compensate retrying gateway down", "1 inventory compensate compensated"],
                 id="failure compensated, with retries"),
    pytest.param(COMPLETE[:4] + ["1 shipping execute started", "1 shipping execute failed no answer",
                                 "1 shipping compensate started", "1 shipping compensate compensated",
                                 "1 payment compensate started", "1 payment compensate compensated",
                                 "1 inventory compensate started", "1 inventory compensate compensated"],
                 id="unanswered step compensated first"),
    pytest.param(DECLINED + ["2 payment execute started", "2 payment execute succeeded",
                             "2 shipping execute started", "2 shipping execute succeeded"],
                 id="held, then resumed at the failed step"),
    pytest.param(DECLINED + ["1 inventory compensate started", "1 inventory compensate compensated",
                             "2 inventory execute started", "2 inventory execute succeeded"],
                 id="compensated, then retried from the start"),
    pytest.param(DECLINED + ["1 order edit succeeded version 2: LAMP quantity 1 -> 2",
                             "1 inventory compensate started", "1 inventory compensate compensated",
                             "2 inventory execute started", "2 inventory execute succeeded"],
                 id="held, edited, kept step undone, run again"),
])
def test_saga_order_is_accepted(events: list[str]) -> None:
    assert problems(*events) == []


@pytest.mark.parametrize(("events", "expected"), [
    (["1 payment execute started"],
     "Order o-1 executes payment in attempt 1 before inventory succeeded."),
    (DECLINED + ["2 inventory execute started"],
     "Order o-1 executes inventory again in attempt 2 while the effect of attempt 1 is still held "
     "(applied twice without a compensation between)."),
    (DECLINED + ["1 shipping execute started"],
     "Order o-1 executes shipping in attempt 1 after payment failed."),
    (DECLINED + ["1 inventory compensate started", "1 inventory compensate compensated",
                 "1 shipping execute started"],
     "Order o-1 executes shipping in attempt 1 after its compensation began."),
    (COMPLETE[:4] + ["1 shipping execute started", "1 shipping execute failed down",
                     "1 inventory compensate started"],
     "Order o-1 compensates inventory in attempt 1 before payment; compensations must run in reverse order."),
    (DECLINED + ["1 inventory compensate started", "1 inventory compensate compensated",
                 "1 inventory compensate started"],
     "Order o-1 compensates inventory in attempt 1, which holds no effect."),
    (DECLINED + ["1 inventory compensate started", "1 inventory compensate failed"],
     "Order o-1 gives up compensating inventory in attempt 1; a compensation must be retried until "
     "it succeeds."),
    (["1 inventory execute succeeded"],
     "Order o-1 records inventory execute succeeded in attempt 1 without having started it."),
    (DECLINED + ["3 payment execute started"], "Order o-1 goes from attempt 1 to attempt 3."),
    (["1 inventory execute started", "1 inventory execute compensated"],
     "Order o-1 records inventory execute compensated in attempt 1, which no saga step does."),
    (["1 gift-wrap execute started"],
     "Order o-1 records a step 'gift-wrap' that is not in the saga plan."),
    (["1 order edit succeeded"], "Order o-1 is edited before its first attempt."),
    (["1 inventory execute started", "1 order edit succeeded"],
     "Order o-1 is edited in attempt 1 while inventory's execution is unfinished."),
    (COMPLETE + ["1 order edit succeeded"], "Order o-1 is edited in attempt 1, which did not fail."),
    (DECLINED + ["2 order edit succeeded"], "Order o-1 records an edit under attempt 2 during attempt 1."),
])
def test_saga_order_is_broken(events: list[str], expected: str) -> None:
    assert problems(*events) == [expected]


def test_a_step_started_before_the_last_one_finished_is_named() -> None:
    assert problems("1 inventory execute started", "1 payment execute started")[0] == (
        "Order o-1 starts payment's execution in attempt 1 while inventory's execution is unfinished.")


def test_the_fate_of_each_execution_is_what_the_participants_are_checked_against() -> None:
    held_then_cancelled = replay(record(*DECLINED, "1 inventory compensate started",
                                        "1 inventory compensate compensated"))
    assert held_then_cancelled.fates == {("inventory", 1): Fate.UNDONE, ("payment", 1): Fate.FAILED}
    unanswered = replay(record(*DECLINED, "1 payment compensate started",
                               "1 payment compensate compensated"))
    assert unanswered.fates[("payment", 1)] == Fate.FENCED
    assert unanswered.held == {"inventory": 1}


def _snapshot(*records: OrderRecord, reservations: list[dict[str, object]] | None = None,
              charges: list[dict[str, object]] | None = None) -> WorldSnapshot:
    """The records, with participants that hold only what is given (no stock, no accounts)."""
    return WorldSnapshot(scenario=None, records=list(records),
                         inventory={"stock": {}, "reservations": reservations or [], "ledger": []},
                         payment={"accounts": {}, "charges": charges or [], "ledger": []},
                         shipping={"shipments": [], "ledger": []})


def messages(kind: Kind, snapshot: WorldSnapshot) -> list[str]:
    return [finding.message for finding in audit(snapshot) if finding.kind == kind]


def test_an_order_in_flight_is_a_finding_unless_the_view_is_live() -> None:
    running = record("1 inventory execute started", status=SagaStatus.RUNNING)
    assert [f.kind for f in audit(_snapshot(running))] == [Kind.UNSETTLED]
    assert audit(_snapshot(running), allow_in_flight=True) == []
    out_of_order = record("1 payment execute started", status=SagaStatus.RUNNING)
    assert [f.kind for f in audit(_snapshot(out_of_order), allow_in_flight=True)] == [Kind.SAGA_ORDER]


@pytest.mark.parametrize(("events", "status", "expected"), [
    (COMPLETE[:4], SagaStatus.COMPLETED, "Order o-1 is completed but its timeline never completed shipping."),
    (COMPLETE, SagaStatus.FAILED, "Order o-1 is failed but its last attempt (1) records no failure."),
    ((), SagaStatus.FAILED, "Order o-1 is failed but its timeline is empty."),
    (DECLINED + ["1 inventory compensate started", "1 inventory compensate compensated"],
     SagaStatus.ON_HOLD, "Order o-1 is on hold but its timeline no longer holds inventory."),
    (DECLINED + ["1 inventory compensate started"], SagaStatus.FAILED,
     "Order o-1 is failed but its timeline leaves inventory's compensation unfinished."),
])
def test_a_status_the_timeline_does_not_bear_out(events: list[str], status: SagaStatus,
                                                 expected: str) -> None:
    assert expected in messages(Kind.STATUS_MISMATCH, _snapshot(record(*events, status=status)))


FAILED_NOTICE = (1, "failure", "Order o-1 failed at payment: declined. Nothing is charged or reserved.")
COMPENSATED = DECLINED + ["1 inventory compensate started", "1 inventory compensate compensated"]


@pytest.mark.parametrize(("events", "notices", "kind", "expected"), [
    (COMPENSATED, (FAILED_NOTICE, (1, "confirmation", "Order o-1 is complete.")), Kind.CONFIRMATION,
     "Order o-1 is failed but was confirmed."),
    (COMPENSATED, (FAILED_NOTICE, (2, "failure", "Order o-1 failed: declined.")), Kind.FAILURE_NOTICE,
     "Order o-1 has a failure notice for attempt 2, which its timeline never ran."),
    (COMPENSATED + ["2 inventory execute started", "2 inventory execute failed"], (FAILED_NOTICE,),
     Kind.FAILURE_NOTICE, "Order o-1's attempt 2 failed without a reason in its timeline."),
    (COMPENSATED, (FAILED_NOTICE, FAILED_NOTICE), Kind.FAILURE_NOTICE,
     "Order o-1 has 2 failure notices for attempt 1, which failed at payment, instead of 1."),
])
def test_notices_that_do_not_fit_the_timeline(events: list[str], notices: tuple[tuple[int, str, str], ...],
                                              kind: Kind, expected: str) -> None:
    snapshot = _snapshot(record(*events, status=SagaStatus.FAILED, notices=notices))
    assert expected in messages(kind, snapshot)


HELD_NOTICE = (1, "on_hold", "Order o-1 is on hold at payment: declined.")
CANCELLED_NOTICE = (1, "cancellation", "Order o-1 was cancelled by an operator while on hold at payment "
                                       "(declined). Nothing is charged or reserved.")


@pytest.mark.parametrize("status, notices", [
    (SagaStatus.CANCELLED, (HELD_NOTICE, CANCELLED_NOTICE)),
    (SagaStatus.FAILED, (HELD_NOTICE, FAILED_NOTICE)),  # a cancel stored before the cancelled status
], ids=["cancelled", "cancelled, stored as failed"])
def test_a_cancelled_order_holds_nothing_and_was_told_once(status: SagaStatus,
                                                           notices: tuple[tuple[int, str, str], ...]) -> None:
    cancelled = record(*COMPENSATED, status=status, notices=notices)
    # (no participant ledger is written here, so only its agreement with the timeline is left out)
    assert [f for f in audit(_snapshot(cancelled)) if f.kind != Kind.RECORD_MISMATCH] == []
    reservation = {"order": "o-1", "effect": "o-1/inventory/1", "items": {"LAMP": 1}, "status": "held"}
    assert messages(Kind.ORPHANED_EFFECT, _snapshot(cancelled, reservations=[reservation])) == [
        f"Order o-1 is {status.value} but inventory still holds its reservation o-1/inventory/1."]


@pytest.mark.parametrize("status, notices, expected", [
    (SagaStatus.CANCELLED, (HELD_NOTICE,),
     "Order o-1 has 0 cancellation notices for attempt 1, instead of 1."),
    (SagaStatus.CANCELLED, (HELD_NOTICE, CANCELLED_NOTICE, CANCELLED_NOTICE),
     "Order o-1 has 2 cancellation notices for attempt 1, instead of 1."),
    (SagaStatus.FAILED, (FAILED_NOTICE, CANCELLED_NOTICE),
     "Order o-1 has 1 cancellation notices for attempt 1, instead of 0."),
    (SagaStatus.CANCELLED, (HELD_NOTICE, (1, "cancellation", "Order o-1 was cancelled.")),
     "Order o-1's cancellation notice for attempt 1 does not give the reason (declined)."),
], ids=["missing", "twice", "on a failed order", "without the reason"])
def test_cancellation_notices_that_do_not_fit(status: SagaStatus, notices: tuple[tuple[int, str, str], ...],
                                              expected: str) -> None:
    snapshot = _snapshot(record(*COMPENSATED, status=status, notices=notices))
    assert messages(Kind.CANCELLATION_NOTICE, snapshot) == [expected]


def test_a_notice_for_an_attempt_that_did_not_fail() -> None:
    notices = ((1, "on_hold", "Order o-1 is on hold."), (1, "confirmation", "Order o-1 is complete."))
    assert messages(Kind.HOLD_NOTICE, _snapshot(record(*COMPLETE, notices=notices))) == [
        "Order o-1 has an on-hold notice for attempt 1, which did not fail."]


def test_effects_outside_every_stock_and_account_break_conservation() -> None:
    held = record(*DECLINED, status=SagaStatus.ON_HOLD)
    snapshot = _snapshot(held, reservations=[
        {"order": "o-1", "effect": "o-1/inventory/1", "items": {"LAMP": 1}, "status": "held"}], charges=[
        {"order": "o-1", "effect": "o-1/payment/1", "amount_cents": 3500, "status": "captured"}])
    assert messages(Kind.STOCK_NOT_CONSERVED, snapshot) == [
        "Reservations hold 1 of LAMP, a sku with no stock record."]
    assert messages(Kind.MONEY_NOT_CONSERVED, snapshot) == [
        "Customer ann has no account, yet charges of $35.00 are captured from it."]


def test_a_status_its_participant_never_writes_makes_the_audit_impossible_and_says_where() -> None:
    snapshot = _snapshot(record(*COMPLETE), charges=[
        {"order": "o-1", "effect": "o-1/payment/1", "amount_cents": 3500, "status": "held"}])
    with pytest.raises(AuditError) as raised:
        audit(snapshot)
    assert str(raised.value) == ("The payment records cannot be audited: charges.0.status: "
                                 "input should be 'captured' or 'refunded'.")


def test_an_order_in_flight_that_has_not_moved_for_too_long_is_named_stuck() -> None:
    """Read live (a PostgreSQL database its workers run), an order in flight is no finding, unless
    nothing has moved it since before the threshold: then no worker carries it on."""
    moved = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    running = record("1 inventory execute started", status=SagaStatus.RUNNING).model_copy(update={"updated_at": moved})
    snapshot = _snapshot(running)
    assert audit_stream(stream_of(snapshot), allow_in_flight=True,
                        stuck_before=datetime(2026, 1, 5, 11, 59, tzinfo=UTC))[1] == []
    stuck = audit_stream(stream_of(snapshot), allow_in_flight=True,
                         stuck_before=datetime(2026, 1, 5, 12, 5, tzinfo=UTC))[1]
    assert [(f.kind, f.message) for f in stuck] == [
        (Kind.STUCK, "Order o-1 is still running and has not moved since 2026-01-05 12:00:00 UTC.")]
