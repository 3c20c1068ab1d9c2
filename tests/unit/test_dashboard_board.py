"""What the dashboard lists, in which order, and what it announces, without a terminal."""

from __future__ import annotations

from datetime import UTC, datetime

from actors import summary_of
from actors.saga import rules as saga_logic
from actors.saga.domain import Item, NotificationKind, Order, OrderRecord, ParticipantReply, SagaStatus
from app.dashboard.board import OrderBoard, prepared_history

AT = datetime(2025, 1, 1, tzinfo=UTC)


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
    assert board.listing().ids == ["o-1", "o-2", "o-10"]
    assert board.listing(sort="total").ids == ["o-2", "o-1", "o-10"]
    assert board.listing(sort="customer").ids == ["o-10", "o-1", "o-2"]
    assert board.listing(sort="total", reverse=True).ids == ["o-10", "o-1", "o-2"]


def test_status_sort_puts_what_needs_a_person_first() -> None:
    board = OrderBoard([record("o-1"), failed_at_inventory(record("o-2")),
                        saga_logic.begin_attempt(record("o-3"), AT).record])
    assert board.listing(sort="status").ids == ["o-2", "o-3", "o-1"]


def test_the_filter_matches_id_customer_status_step_and_reason() -> None:
    board = OrderBoard([record("o-1", "amy"), failed_at_inventory(record("o-2", "bob"), "No KB left")])
    assert board.listing("AMY").ids == ["o-1"]
    assert board.listing("failed").ids == ["o-2"]
    assert board.listing("inventory").ids == ["o-2"]
    assert board.listing("kb left").ids == ["o-2"]
    assert board.listing("nobody").ids == []


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


def completed_at(order_id: str, minute: int) -> OrderRecord:
    """A settled order as the archive's index summarises it, updated at minute."""
    return record(order_id).model_copy(update={"status": SagaStatus.COMPLETED,
                                               "updated_at": AT.replace(minute=minute)})


def test_a_long_history_lists_what_matters_first_up_to_the_cap_and_the_filter_finds_any_order() -> None:
    board = OrderBoard([failed_at_inventory(record("o-1"))])
    history = [summary_of(completed_at(f"o-{n}", n)) for n in range(2, 50)]
    board.add_history(prepared_history(history))
    listed = board.listing(cap=5)
    assert listed.matches == 49
    # The failed order, then the newest of the history, shown in id order.
    assert listed.ids == ["o-1", "o-46", "o-47", "o-48", "o-49"]
    found = board.listing("o-2", cap=5)  # o-2 and o-20 to o-29: the newest five shown
    assert found.matches == 11 and found.ids == ["o-25", "o-26", "o-27", "o-28", "o-29"]
    assert "o-2" in board.listing("o-2", cap=11).ids
    assert "o-2" in board.listing(cap=5, keep="o-2").ids  # the selected order stays listed
    assert board.listing("completed", cap=5).matches == 48
    assert board.tally()[SagaStatus.COMPLETED] == 48 and board.needing_attention() == 1


def test_history_read_before_an_order_moved_does_not_replace_what_the_board_has_since() -> None:
    failed = failed_at_inventory(record("o-1"))
    board = OrderBoard([failed])
    board.add_history(prepared_history([summary_of(record("o-1"))]))  # read while o-1 was still pending
    assert board.summaries["o-1"].status == SagaStatus.FAILED
    assert board.tally() == {SagaStatus.FAILED: 1}


def test_only_live_orders_and_the_selected_one_are_kept_whole() -> None:
    board = OrderBoard([failed_at_inventory(record("o-1")), failed_at_inventory(record("o-2")),
                        record("o-3")])
    board.forget_settled(keep="o-2")
    assert set(board.records) == {"o-2", "o-3"}
    assert set(board.summaries) == {"o-1", "o-2", "o-3"}
