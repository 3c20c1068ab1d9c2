"""The event line's news, without a terminal: however many notifications arrive,
they read as one line, by kind, naming the orders that need someone."""

from __future__ import annotations

from datetime import UTC, datetime

from actors.saga.domain import Notification, NotificationKind
from app.dashboard.board import Announcement
from app.dashboard.news import News

AT = datetime(2025, 1, 1, tzinfo=UTC)


def notice(order: str, kind: NotificationKind) -> Announcement:
    return Announcement(order, Notification(at=AT, attempt=1, kind=kind, message=f"{order} {kind.value}"))


def test_notices_collapse_by_kind_failures_first_naming_the_failed_orders() -> None:
    news = News()
    news.add([notice("o-1", NotificationKind.CONFIRMATION), notice("o-4", NotificationKind.FAILURE),
              notice("o-6", NotificationKind.FAILURE), notice("o-2", NotificationKind.ON_HOLD),
              notice("o-7", NotificationKind.FAILURE), notice("o-3", NotificationKind.CONFIRMATION)])
    assert news.line().plain == ("✗ 3 orders failed: o-4, o-6, o-7 · ‖ 1 order on hold: o-2 · "
                                 "✓ 2 orders completed")


def test_two_thousand_notices_are_still_one_short_line_naming_the_latest() -> None:
    news = News()
    news.add(notice(f"o-{n}", NotificationKind.CONFIRMATION) for n in range(1, 1901))
    news.add(notice(f"o-{n}", NotificationKind.FAILURE) for n in range(1901, 2001))
    line = news.line().plain
    assert line == ("✗ 100 orders failed: …, o-1996, o-1997, o-1998, o-1999, o-2000 · "
                    "✓ 1,900 orders completed")


def test_an_order_failing_twice_counts_once_and_clearing_starts_afresh() -> None:
    news = News()
    news.add([notice("o-1", NotificationKind.FAILURE), notice("o-2", NotificationKind.FAILURE),
              notice("o-1", NotificationKind.FAILURE)])
    assert news.line().plain == "✗ 2 orders failed: o-2, o-1"
    news.clear()
    assert news.line().plain == ""
