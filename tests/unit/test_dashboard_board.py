"""What the dashboard lists, in which order, and what it announces, without a terminal."""

from __future__ import annotations

from datetime import datetime, timezone

from actors import saga_logic
from actors.domain import Item, NotificationKind, Order, OrderRecord, ParticipantReply, SagaStatus
from app.dashboard.board import OrderBoard

AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def record(order_id: str, customer: str = "bob", cents: int = 100) -> OrderRecord:
    return OrderRecord(order=Order(id=order_id, customer=customer, ship_to="1 Main St",
                                   items=(Item(sku="KB", quantity=1, price_cents=cents),)))


def failed_at_inventory(pending: OrderRecord, reason: str = "Not enough stock of KB") -> OrderRecord:
    started = saga_logic.begin_attempt(pending, AT)
    assert started.command is not None
    reply = ParticipantReply(key=started.command.key, ok=False, reason=reason)
    transition = saga_logic.apply_reply(started.record, reply, AT)
    assert transition is not None
    return transition.record


def test_ids_sort_as_numbers_and_every_column_sorts_with_ties_in_id_order() -> None:
    board = OrderBoard([record("o-10", "amy", 300), record("o-2", "bob", 100), record("o-1", "bob", 300)])
    assert board.visible() == ["o-1", "o-2", "o-10"]
    assert board.visible(sort="total") == ["o-2", "o-1", "o-10"]
    assert board.visible(sort="customer") == ["o-10", "o-1", "o-2"]
    assert board.visible(sort="total", reverse=True) == ["o-10", "o-1", "o-2"]


def test_status_sort_puts_what_needs_a_person_first() -> None:
    board = OrderBoard([record("o-1"), failed_at_inventory(record("o-2")),
                        saga_logic.begin_attempt(record("o-3"), AT).record])
    assert board.visible(sort="status") == ["o-2", "o-3", "o-1"]


def test_the_filter_matches_id_customer_status_step_and_reason() -> None:
    board = OrderBoard([record("o-1", "amy"), failed_at_inventory(record("o-2", "bob"), "No KB left")])
    assert board.visible("AMY") == ["o-1"]
    assert board.visible("failed") == ["o-2"]
    assert board.visible("inventory") == ["o-2"]
    assert board.visible("kb left") == ["o-2"]
    assert board.visible("nobody") == []


def test_an_older_copy_of_a_record_never_replaces_a_newer_one() -> None:
    pending = record("o-1")
    failed = failed_at_inventory(pending)
    board = OrderBoard([failed])
    changed, news = board.apply([pending])
    assert changed == set() and news == []
    assert board.records["o-1"].status == SagaStatus.FAILED


def test_each_notification_is_announced_once() -> None:
    board = OrderBoard([record("o-1")])
    failed = failed_at_inventory(board.records["o-1"])
    changed, news = board.apply([failed])
    assert changed == {"o-1"}
    assert [(n.order, n.notification.kind) for n in news] == [("o-1", NotificationKind.FAILURE)]
    assert board.apply([failed])[1] == []


def test_a_world_opened_as_found_announces_nothing_a_new_one_announces_all() -> None:
    failed = failed_at_inventory(record("o-1"))
    board = OrderBoard()
    assert board.reset([failed]) == []
    assert [n.order for n in board.reset([failed], announce_existing=True)] == ["o-1"]
    assert board.unsettled() == 0 and board.tally()[SagaStatus.FAILED] == 1
