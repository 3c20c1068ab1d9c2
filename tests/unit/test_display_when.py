"""The list's Updated column: the time today, a date otherwise, never more than 8 characters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.dashboard.display import when

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_updated_has_a_date_when_not_today() -> None:
    today = when(NOW - timedelta(minutes=5), NOW)
    assert len(today) == 8 and today.count(":") == 2
    assert when(NOW - timedelta(days=3), NOW) in ("May 28", "May 29")  # in any time zone
    assert when(NOW - timedelta(days=400), NOW) in ("Apr 2024", "May 2024")
    assert when(None, NOW) == ""
