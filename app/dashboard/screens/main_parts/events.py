"""What just happened, on the event line: the answer to the operator's last action, and the
customers' notifications since `n` last listed them (one line, whatever arrives)."""

from __future__ import annotations

from functools import partial

from actors import OrderRecord, Refused, SagaEngine, StorageFailed, order_sort_key
from app.dashboard.board import LIST_CAP, Announcement
from app.dashboard.news import News
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.widgets.event_line import EventLine, Severity



class Events:
    def __init__(self, screen: PartsHost) -> None:
        self._screen = screen
        self._news = News()

    def say(self, text: str, severity: Severity = "information") -> None:
        self._screen.query_one(EventLine).say(text, severity)

    def announce(self, news: list[Announcement]) -> None:
        """Add news to the event line's summary."""
        if news:
            self._news.add(news)
            self.show_news()

    def add(self, news: list[Announcement]) -> None:
        self._news.add(news)

    def clear(self) -> None:
        """A new world: the old one's news is no longer news."""
        self._news.clear()

    def show_news(self) -> None:
        self._screen.query_one(EventLine).show_news(self._news.line(), self._screen.board.known_notifications())

    def list_notifications(self) -> None:
        """List the notifications (read on a worker); the event line's summary starts again from here."""
        board = self._screen.board
        latest = board.latest(LIST_CAP)
        screen = NotificationsScreen()
        self._screen.app.push_screen(screen)
        self._screen.run_worker(partial(self._read, screen, latest, len(latest) == len(board.summaries)),
                                thread=True, group="notifications")
        self._news.clear()
        self.show_news()

    def _read(self, screen: NotificationsScreen, order_ids: list[str], complete: bool) -> None:
        def read(engine: SagaEngine) -> list[OrderRecord]:
            return [record for order_id in order_ids if (record := engine.find(order_id)) is not None]

        try:
            records = self._screen.session.call(read)
        except (Refused, StorageFailed) as error:  # EngineRestarting is a refusal
            self._screen.post_message(EventLine.Said(f"The notifications could not be read: {error}", "warning"))
            return
        notices = [Announcement(r.order.id, n) for r in records for n in r.notifications]
        notices.sort(key=lambda a: (a.notification.at, order_sort_key(a.order)))
        screen.post_message(NotificationsScreen.Read(notices, complete))  # dropped if it is closed
