"""What `ordersaga list` shows: live orders summarised from their documents as their records
say, and the first orders of a long listing in the order the whole listing has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actors import Item, Order, OrderRecord, OrderSummary, SagaStatus, correction
from actors.mapper import document_summary, order_document
from actors.reading.snapshot import summary_from_row, summary_of
from actors.saga import rules as saga_logic
from app.report import first_orders
from tests.conftest import EngineFactory

START = datetime(2025, 3, 3, 9, tzinfo=UTC)


def summary(number: int, minute: int | None) -> OrderSummary:
    return OrderSummary(f"o-{number}", "amy", 100, SagaStatus.COMPLETED, 1, 1,
                        START + timedelta(minutes=minute) if minute is not None else None, None)


def test_the_first_orders_are_the_start_of_the_whole_listing_however_many_tie() -> None:
    """Many orders changed at the same moment (a burst settles together): the cut at --limit
    falls among them, and those shown are still the lowest ids of the tie."""
    minutes = [3, 1, 3, None, 2, 3, 1, None, 3, 2, 3, 0]
    orders = [summary(number, minute) for number, minute in zip(range(12, 0, -1), minutes, strict=True)]
    for oldest_first in (False, True):
        whole = first_orders(orders, oldest_first, None)
        assert len(whole) == len(orders)
        for limit in range(1, len(orders) + 2):
            assert first_orders(orders, oldest_first, limit) == whole[:limit]
    newest = [order.id for order in first_orders(orders, False, 5)]
    assert newest == ["o-2", "o-4", "o-7", "o-10", "o-12"]  # the five changed at minute 3, by id
    assert [order.id for order in first_orders(orders, True, 2)] == ["o-5", "o-9"]  # never started


def test_a_live_orders_summary_from_its_document_is_the_one_from_its_record(
        start_engine: EngineFactory) -> None:
    """The demo leaves orders completed, failed, compensated, on hold and corrected; a listing
    reads a live order's summary from its document without validating its record."""
    engine = start_engine("demo")
    engine.wait_until_settled(timeout_s=30)
    engine.run_follow_ups(lambda line: None, timeout_s=30)
    held = next(record.order.id for record in engine.live_records() if record.status == SagaStatus.ON_HOLD)
    engine.edit(correction(held, "9 Elm St", {}, {}))
    records = engine.live_records()
    statuses = {record.status for record in records}
    assert {SagaStatus.COMPLETED, SagaStatus.FAILED, SagaStatus.ON_HOLD} <= statuses
    assert any(record.version > 1 for record in records) and any(record.failure for record in records)
    for record in records:
        assert summary_from_row(document_summary(order_document(record)[1])) == summary_of(record)


def test_a_summary_names_the_step_an_order_in_flight_is_at() -> None:
    pending = OrderRecord(order=Order(id="o-1", customer="amy", ship_to="1 Main St",
                                      items=(Item(sku="KB", quantity=2, price_cents=2500),)))
    transition = saga_logic.resume(pending, START)
    assert transition is not None
    running = transition.record
    assert running.current_step == "inventory"
    for record in (pending, running):
        assert summary_from_row(document_summary(order_document(record)[1])) == summary_of(record)
