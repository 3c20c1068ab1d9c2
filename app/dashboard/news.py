"""The customers' notifications since the operator last listed them, collapsed by
kind into one line: "✗ 3 orders failed: o-4, o-6, o-7 · ✓ 4 orders completed".

However many orders move, the line stays one line: it counts orders per kind
and names only the latest few, and `n` lists every notification in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from rich.text import Text

from actors import NotificationKind
from app.dashboard.board import Announcement
from app.dashboard.display import NOTICE_LOOKS

# Most urgent first, so a narrow line cuts off the good news, not the bad; and
# how many of the latest order ids to name (completed ones need nothing done).
VERBS = ((NotificationKind.FAILURE, "failed", 5), (NotificationKind.ON_HOLD, "on hold", 5),
         (NotificationKind.CORRECTION, "corrected", 5), (NotificationKind.CANCELLATION, "cancelled", 0),
         (NotificationKind.CONFIRMATION, "completed", 0))


class News:
    def __init__(self) -> None:
        # Per kind, the orders it was sent for, latest last (a dict keeps them distinct and in order).
        self._orders: dict[NotificationKind, dict[str, None]] = {kind: {} for kind, _, _ in VERBS}

    def add(self, news: Iterable[Announcement]) -> None:
        for notice in news:
            orders = self._orders[notice.notification.kind]
            orders.pop(notice.order, None)
            orders[notice.order] = None

    def clear(self) -> None:
        for orders in self._orders.values():
            orders.clear()

    def line(self) -> Text:
        parts: list[Text] = []
        for kind, verb, named in VERBS:
            orders = self._orders[kind]
            if not orders:
                continue
            symbol, style = NOTICE_LOOKS[kind]
            noun = "order" if len(orders) == 1 else "orders"
            said = f"{symbol} {len(orders):,} {noun} {verb}"
            if named:
                latest = reversed(list(islice(reversed(orders), named)))
                said += ": " + ("…, " if len(orders) > named else "") + ", ".join(latest)
            parts.append(Text(said, style=style))
        return Text(" · ").join(parts)
