"""The trend an operator asks for after an outage: orders completed and failed per minute
over a recent span, and the failure reasons of that span ranked. Pure: computed from the
orders' summaries (each order counted at its last change), so the CLI's `stats` and any
other front end tell the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from actors import OrderSummary, SagaStatus

_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Trends:
    since: timedelta
    until: datetime
    completed: tuple[int, ...]  # per minute, oldest first, the current minute last
    failed: tuple[int, ...]
    reasons: tuple[tuple[str, int], ...]  # the failure reasons of orders failed or held, most first

    def as_json(self) -> dict[str, Any]:
        return {"since_s": int(self.since.total_seconds()), "until": self.until.isoformat(),
                "completed_per_minute": list(self.completed), "failed_per_minute": list(self.failed),
                "reasons": [{"reason": reason, "orders": count} for reason, count in self.reasons]}


def trends_of(summaries: Iterable[OrderSummary], now: datetime, since: timedelta) -> Trends:
    minutes = max(1, -(-int(since.total_seconds()) // 60))
    start = now - timedelta(minutes=minutes)
    completed, failed = [0] * minutes, [0] * minutes
    reasons = Counter[str]()
    for summary in summaries:
        at = summary.updated_at
        if at is None or not start < at <= now:
            continue
        minute = min(minutes - 1, int((at - start).total_seconds() // 60))
        if summary.status == SagaStatus.COMPLETED:
            completed[minute] += 1
        elif summary.status == SagaStatus.FAILED:
            failed[minute] += 1
        if summary.status in (SagaStatus.FAILED, SagaStatus.ON_HOLD) and summary.failure is not None:
            reasons[summary.failure.reason] += 1
    ranked = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    return Trends(since, now, tuple(completed), tuple(failed), ranked)


def sparkline(counts: tuple[int, ...]) -> str:
    """One bar per minute, scaled to the span's busiest minute."""
    top = max(counts, default=0)
    if top == 0:
        return _BARS[0] * len(counts)
    return "".join(_BARS[round(count / top * (len(_BARS) - 1))] for count in counts)


def render_trends(trends: Trends, reasons_shown: int = 10) -> str:
    span = _span(trends.since)
    lines = [f"Over the last {span}, by minute (oldest first):",
             f"  completed {sum(trends.completed):>6,}  {sparkline(trends.completed)}",
             f"  failed    {sum(trends.failed):>6,}  {sparkline(trends.failed)}"]
    if trends.reasons:
        lines.append(f"Failure reasons of orders failed or on hold in the last {span}:")
        lines += [f"  {count:>6,}  {reason}" for reason, count in trends.reasons[:reasons_shown]]
        if len(trends.reasons) > reasons_shown:
            lines.append(f"  ... and {len(trends.reasons) - reasons_shown} more reasons (--json lists them all)")
    else:
        lines.append(f"No order failed or went on hold in the last {span}.")
    return "\n".join(lines)


def _span(since: timedelta) -> str:
    seconds = int(since.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}" if count != 1 else unit
    return f"{seconds} s"
