"""What the main screen asks and suggests before an operator action, worked out from the
records alone: no Textual here, so it is tested without a screen."""

from __future__ import annotations

from actors import SAGA_PLAN, CauseUnresolved, OrderRecord, OrderSummary, SagaEngine, StepStatus, Supplies


def crash_and_restart(engine: SagaEngine) -> str:
    engine.restart_coordinator()
    return "The coordinator was killed and restarted; it recovered every order from storage."


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def cancel_question(record: OrderRecord) -> str:
    """What cancelling a held order undoes, step by step, before the operator says yes."""
    attempt = record.current_attempt
    done = [step.name for step in attempt.steps if step.status == StepStatus.SUCCEEDED] if attempt else []
    question = f"{record.order.id} is on hold with no step done. Cancelling"
    if done:
        undo = ", then ".join(step.compensate_label for step in reversed(SAGA_PLAN) if step.name in done)
        steps = f"{' and '.join(done)} step{'s' if len(done) > 1 else ''}"
        question = (f"{record.order.id} is on hold with its {steps} done. Cancelling undoes "
                    f"{'them' if len(done) > 1 else 'it'} ({undo})")
    return question + " and the order ends cancelled: it cannot be retried afterwards."


def top_up_suggestion(record: OrderRecord, supplies: Supplies | None) -> int:
    """What to pre-fill a top-up with: what the balance lacks of the order's total, as the
    balances last read say (selecting an order short of money reads them), else the total."""
    total = record.order.total_cents
    balance = supplies.balances.get(record.order.customer) if supplies is not None else None
    return total - balance if balance is not None and 0 <= balance < total else total


def retry_anyway_question(unresolved: CauseUnresolved, order: OrderSummary | None) -> str:
    """Why a retry now would likely fail again, before the operator says yes anyway."""
    check = unresolved.check
    customer = order.customer if order else "the customer"
    return (f"{unresolved.order_id}'s {check.step} failure is not resolved yet: {check.facts}, so a "
            f"retry now would likely fail again and send {customer} another notice.")


def load_question(scenario_name: str, db: str, orders: int, in_flight: int) -> str:
    """What loading a scenario drops, before the operator says yes."""
    question = (f"Loading “{scenario_name}” replaces everything in {db}: "
                f"{plural(orders, 'order')} with their history, the stock and the accounts.")
    if in_flight:
        verb = "is" if in_flight == 1 else "are"
        question += (f" {plural(in_flight, 'order')} {verb} still in flight and {verb} dropped "
                     "without finishing or compensating.")
    return question


def crash_question(in_flight: int) -> str:
    """What crashing the coordinator does, before the operator says yes."""
    return ("The coordinator is killed at once and restarted: it recovers every order "
            "from storage and asks again where an answer was pending"
            f" ({plural(in_flight, 'order')} in flight now).")
