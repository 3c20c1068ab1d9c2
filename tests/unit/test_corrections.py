"""Corrections of a failed or held order, and the retry after them, as saga rules without threads."""

from __future__ import annotations

import pytest

from actors.saga import corrections, retrying
from actors.saga import rules as saga_logic
from actors.saga.corrections import correction
from actors.saga.domain import (
    Action,
    Item,
    NotificationKind,
    OperatorAction,
    Order,
    OrderRecord,
    ParticipantReply,
    RecoverablePolicy,
    SagaStatus,
    now,
)
from actors.saga.errors import Refused
from actors.saga.transitions import Transition

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St",
              items=(Item(sku="KB", quantity=3, price_cents=4999), Item(sku="MOUSE", quantity=1, price_cents=999)))
STEPS = ("inventory", "payment", "shipping")


def answer(transition: Transition, ok: bool = True, reason: str = "Out of reach") -> Transition:
    assert transition.command is not None, "no command is outstanding"
    reply = ParticipantReply(key=transition.command.key, ok=ok, reason="" if ok else reason)
    result = saga_logic.apply_reply(transition.record, reply, now())
    assert result is not None
    return result


def stopped_at(step: str, policy: RecoverablePolicy = RecoverablePolicy.HOLD) -> OrderRecord:
    """The order after its first attempt failed (recoverably) at step, then settled."""
    t = saga_logic.begin_attempt(OrderRecord(order=ORDER, policy=policy), now())
    for _ in range(STEPS.index(step)):
        t = answer(t)
    t = answer(t, ok=False)
    while t.command is not None:  # compensations, under the compensate policy
        t = answer(t)
    return t.record


def corrected(record: OrderRecord, **change: object) -> OrderRecord:
    return corrections.edit(record, correction("o-1", **change), now(), "ann").record  # type: ignore[arg-type]


def sent(t: Transition) -> list[tuple[str, str, int]]:
    """Every command until the order settles, answering each with success."""
    commands = []
    while t.command is not None:
        commands.append((t.command.key.step, t.command.key.action.value, t.command.key.attempt))
        t = answer(t)
    assert t.record.status == SagaStatus.COMPLETED
    return commands


def test_an_edit_makes_a_new_version_recorded_in_the_timeline_and_told_to_the_customer() -> None:
    held = stopped_at("shipping")
    record = corrected(held, ship_to="2 Oak Ave", quantity={"KB": 1})
    assert record.status == SagaStatus.ON_HOLD and record.version == 2
    assert record.order_version(1) == ORDER
    assert record.order.ship_to == "2 Oak Ave" and record.order.total_cents == 4999 + 999
    event = record.timeline[-1]
    assert (event.attempt, event.step, event.action) == (1, "order", OperatorAction.EDIT)
    assert event.reason == 'version 2: ship_to changed from "1 Main St" to "2 Oak Ave"; KB quantity 3 -> 1'
    notice = record.notifications[-1]
    assert notice.kind == NotificationKind.CORRECTION and "KB quantity 3 -> 1" in notice.message


def test_under_hold_an_address_correction_resumes_at_the_failed_shipping_step() -> None:
    record = corrected(stopped_at("shipping"), ship_to="2 Oak Ave")
    plan = retrying.plan_retry(record)
    assert (plan.undo, plan.start) == ((), "shipping")
    assert plan.describe() == 'resumes at shipping: ships to "2 Oak Ave"'
    t = retrying.retry(record, now(), "ann")
    assert t.record.current_attempt.version == 2
    assert sent(t) == [("shipping", "execute", 2)]


def test_under_hold_a_quantity_correction_undoes_the_kept_steps_in_reverse_then_runs_again() -> None:
    record = corrected(stopped_at("shipping"), quantity={"KB": 1})
    assert retrying.plan_retry(record).describe() == (
        "refunds $159.96 and releases 3 KB and 1 MOUSE, then reserves 1 KB and 1 MOUSE, "
        'charges $59.98 and ships to "1 Main St"')
    t = retrying.retry(record, now(), "ann")
    assert t.record.status == SagaStatus.COMPENSATING
    # What version 1 applied is undone under attempt 1's keys, before attempt 2 begins.
    assert sent(t) == [("payment", "compensate", 1), ("inventory", "compensate", 1),
                       ("inventory", "execute", 2), ("payment", "execute", 2), ("shipping", "execute", 2)]


def test_a_redo_interrupted_by_a_restart_asks_again_and_then_begins_the_next_attempt() -> None:
    t = retrying.retry(corrected(stopped_at("payment"), remove=["MOUSE"]), now(), "ann")
    again = saga_logic.resume(t.record, now())
    assert again is not None and again.command == t.command
    t = answer(again)
    assert (t.command.key.step, t.command.key.action, t.command.key.attempt) == ("inventory", Action.EXECUTE, 2)
    assert t.record.current_attempt.version == 2
    kinds = [n.kind for n in t.record.notifications]
    assert NotificationKind.FAILURE not in kinds, "undoing for a correction is not a failure"


def test_a_correction_that_changes_nothing_a_step_kept_keeps_it() -> None:
    # Held at payment: the reservation is kept; an address changes nothing it holds.
    record = corrected(stopped_at("payment"), ship_to="2 Oak Ave")
    assert retrying.plan_retry(record).undo == ()
    # Back to version 1's quantity: what attempt 1 reserved fits again.
    record = corrected(corrected(stopped_at("payment"), quantity={"KB": 1}), quantity={"KB": 3})
    assert record.version == 3 and retrying.plan_retry(record).start == "payment"


def test_held_at_the_first_step_or_failed_the_next_attempt_starts_at_the_first_step() -> None:
    held = corrected(stopped_at("inventory"), quantity={"KB": 2})
    assert retrying.plan_retry(held).describe().startswith("resumes at inventory: reserves 2 KB")
    failed = corrected(stopped_at("shipping", RecoverablePolicy.COMPENSATE), quantity={"KB": 2})
    assert failed.status == SagaStatus.FAILED
    assert retrying.plan_retry(failed).describe().startswith("starts again at inventory: reserves 2 KB")
    t = retrying.retry(failed, now(), "ann")
    assert sent(t) == [(step, "execute", 2) for step in STEPS]


@pytest.mark.parametrize("change, refusal", [
    ({"quantity": {"DESK": 1}}, "Order o-1 has no item DESK; a correction can change the quantity of an "
                                "item or remove one, not add one."),
    ({"remove": ["KB", "MOUSE"]}, "Order o-1 must keep at least one item; this correction removes them all."),
    ({"quantity": {"KB": 3}}, "Order o-1 already is as this correction asks; it changes nothing."),
    ({"ship_to": "1 Main St"}, "Order o-1 already is as this correction asks; it changes nothing."),
    ({"quantity": {"KB": 1}, "remove": ["KB"]}, "KB cannot both get a new quantity and be removed."),
    ({"quantity": {"KB": 100_000}}, "Order o-1 cannot be corrected so: the order's total must be at most "
                                    "$1,000,000.00 (got $4,999,009.99)."),
])
def test_a_bad_correction_is_refused_in_one_sentence(change: dict, refusal: str) -> None:
    held = stopped_at("payment")
    with pytest.raises(Refused) as refused:
        corrections.edit(held, correction("o-1", **change), now(), "ann")
    assert str(refused.value) == refusal


@pytest.mark.parametrize("values, refusal", [
    ({}, "Say what to correct in order o-1: its address, the quantity of an item, or an item to remove."),
    ({"ship_to": " "}, "The ship-to must not be empty or only spaces (got ' ')."),
    ({"ship_to": "1 Main\nSt"}, "The ship-to must not contain control or invisible characters (got '1 Main\\nSt')."),
    ({"remove": ["KB\u202e"]}, "The sku must not contain control or invisible characters (got 'KB\\u202e')."),
    ({"quantity": {"KB": 0}}, "The quantity of KB must be from 1 to 100,000 (got 0); "
                              "to take an item off the order, remove it."),
    ({"quantity": {"KB": 100_001}}, "The quantity must be from 1 to 100,000 (got 100,001)."),
])
def test_values_out_of_the_scenario_bounds_are_refused_before_any_order_is_looked_at(
        values: dict, refusal: str) -> None:
    with pytest.raises(Refused) as refused:
        correction("o-1", **values)
    assert str(refused.value) == refusal


def test_only_an_order_that_could_be_retried_can_be_corrected() -> None:
    change = correction("o-1", ship_to="2 Oak Ave")
    running = saga_logic.begin_attempt(OrderRecord(order=ORDER), now())
    completed = running
    while completed.command is not None:
        completed = answer(completed)
    t = saga_logic.begin_attempt(OrderRecord(order=ORDER), now())
    declined = answer(t, ok=True)
    declined = saga_logic.apply_reply(declined.record, ParticipantReply(
        key=declined.command.key, ok=False, reason="Card declined", recoverable=False), now())
    declined = answer(declined)
    cancelled = answer(retrying.cancel(stopped_at("payment"), now(), "ann"))
    for record, refusal in [
            (running.record, "Order o-1 is running; only a failed or held order can be corrected."),
            (completed.record, "Order o-1 is completed; only a failed or held order can be corrected."),
            (declined.record, "Order o-1 cannot be corrected: its payment step failed for a reason that "
                              "is not recoverable (Card declined)."),
            (cancelled.record, "Order o-1 was cancelled by an operator and cannot be corrected.")]:
        with pytest.raises(Refused) as refused:
            corrections.edit(record, change, now(), "ann")
        assert str(refused.value) == refusal


def test_a_record_stored_before_versions_reads_as_version_1() -> None:
    stored = stopped_at("payment").model_dump(mode="json")
    stored.pop("earlier_versions")
    for attempt in stored["attempts"]:
        attempt.pop("version")
        attempt.pop("redo_from")
    record = OrderRecord.model_validate(stored)
    assert record.version == 1 and record.current_attempt.version == 1
    assert retrying.plan_retry(corrected(record, quantity={"KB": 1})).undo == ("inventory",)
