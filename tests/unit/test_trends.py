"""The trend `ordersaga stats` prints: each order counted once, in the minute it last changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actors import Failure, OrderSummary, SagaStatus
from app.trends import render_trends, sparkline, trends_of

NOW = datetime(2026, 12, 5, 12, 0, 30, tzinfo=UTC)
CARRIER = Failure(step="shipping", reason="Carrier unavailable", recoverable=True)
FUNDS = Failure(step="payment", reason="Insufficient funds", recoverable=True, shortfall=True)


def order(n: int, status: SagaStatus, minutes_ago: float, failure: Failure | None = None) -> OrderSummary:
    return OrderSummary(f"o-{n}", "c", 100, status, 1, 1, NOW - timedelta(minutes=minutes_ago), failure)


def test_each_order_counts_in_the_minute_it_last_changed_and_reasons_are_ranked() -> None:
    summaries = [order(1, SagaStatus.COMPLETED, 0.1), order(2, SagaStatus.COMPLETED, 0.2),
                 order(3, SagaStatus.FAILED, 2.5, CARRIER), order(4, SagaStatus.FAILED, 2.6, CARRIER),
                 order(5, SagaStatus.ON_HOLD, 1.5, FUNDS),
                 order(6, SagaStatus.FAILED, 7, CARRIER),  # before the span: not counted
                 order(7, SagaStatus.RUNNING, 0.5)]
    trends = trends_of(summaries, NOW, timedelta(minutes=5))
    assert trends.completed == (0, 0, 0, 0, 2)
    assert trends.failed == (0, 0, 2, 0, 0)
    assert trends.reasons == (("Carrier unavailable", 2), ("Insufficient funds", 1))
    text = render_trends(trends)
    assert "completed      2  ▁▁▁▁█" in text and "failed         2  ▁▁█▁▁" in text
    assert "       2  Carrier unavailable" in text


def test_a_quiet_span_says_so() -> None:
    trends = trends_of([order(1, SagaStatus.COMPLETED, 90)], NOW, timedelta(hours=1))
    assert len(trends.completed) == 60 and sum(trends.completed) == 0
    assert sparkline(trends.completed) == "▁" * 60
    assert render_trends(trends).endswith("No order failed or went on hold in the last hour.")
