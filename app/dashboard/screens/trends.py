"""The trend after an outage: orders completed and failed per minute over the last hour as
sparklines, and the failure reasons of that hour ranked (what `ordersaga stats` prints),
read again every few seconds while the panel is open, off the UI thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Sparkline, Static

from actors import Refused, StorageFailed
from app.dashboard.session import DashboardSession
from app.trends import Trends, trends_of

SPAN = timedelta(hours=1)
EVERY_S = 3.0
REASONS_SHOWN = 8


class TrendsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,T,q", "dismiss", "Close", show=False)]

    class Read(Message):
        """The figures of one reading, or why they could not be read."""

        def __init__(self, trends: Trends | None, error: str = "") -> None:
            super().__init__()
            self.trends, self.error = trends, error

    def __init__(self, session: DashboardSession) -> None:
        super().__init__()
        self._session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "The last hour, by minute"
            dialog.border_subtitle = "Esc closes"
            yield Static("Reading…", id="completed-label")
            yield Sparkline([0], id="completed")
            yield Static("", id="failed-label")
            yield Sparkline([0], id="failed")
            yield Static("", id="reasons")

    def on_mount(self) -> None:
        self._read()
        self.set_interval(EVERY_S, self._read)

    @work(thread=True, exclusive=True, group="trends")
    def _read(self) -> None:
        try:
            summaries = self._session.call(lambda engine: engine.summaries())
        except (Refused, StorageFailed) as error:  # EngineRestarting is a refusal
            self.post_message(self.Read(None, str(error)))
            return
        self.post_message(self.Read(trends_of(summaries, datetime.now(UTC), SPAN)))

    def on_trends_screen_read(self, message: Read) -> None:
        trends = message.trends
        if trends is None:
            self.query_one("#completed-label", Static).update(f"Could not be read: {message.error}")
            return
        self.query_one("#completed-label", Static).update(f"✓ completed  {sum(trends.completed):,}")
        self.query_one("#completed", Sparkline).data = list(trends.completed)
        self.query_one("#failed-label", Static).update(f"✗ failed  {sum(trends.failed):,}")
        self.query_one("#failed", Sparkline).data = list(trends.failed)
        ranked = "\n".join(f"{count:>6,}  {reason}" for reason, count in trends.reasons[:REASONS_SHOWN])
        self.query_one("#reasons", Static).update(
            f"Failure reasons (failed or on hold):\n{ranked}" if ranked else "No order failed or went on hold.")
