"""The line above the footer that says what just happened, in the layout rather
than over it, so it never hides an order, a step or a failure's reason.

It shows the answer to the operator's last action (an acknowledgement, or a
refusal and why) for a few seconds, and otherwise the customers' notifications
since `n` last listed them, collapsed by kind.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

Severity = Literal["information", "warning", "error"]
STYLES: dict[Severity, str] = {"information": "", "warning": "yellow", "error": "bold red"}
# Long enough to read a refusal twice; news waits meanwhile, it is not lost.
ANSWER_SECONDS: dict[Severity, float] = {"information": 5.0, "warning": 10.0, "error": 10.0}


class EventLine(Horizontal):
    class Said(Message):
        """An answer for the operator, from any thread (post_message is thread-safe)."""

        def __init__(self, text: str, severity: Severity = "information") -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._news = Text()
        self._has_news = False
        self._expiry: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="said", markup=False)
        yield Static(" — n lists them", id="hint", markup=False)

    def on_mount(self) -> None:
        self._show_news()

    def say(self, text: str, severity: Severity = "information") -> None:
        """Show an answer to the operator until it has been up long enough to read."""
        if self._expiry is not None:
            self._expiry.stop()
        self._expiry = self.set_timer(ANSWER_SECONDS[severity], self._answered)
        self.set_class(False, "-news")
        self.query_one("#hint").display = False
        self.query_one("#said", Static).update(Text(text, style=STYLES[severity]))

    def show_news(self, news: Text, total: int | None) -> None:
        """News since `n` was last pressed, or, when there is none, how many notifications exist
        (None: some orders are known by their summary only, so the count is not)."""
        self._has_news = bool(news)
        if news:
            self._news = news
        else:
            count = "them" if total is None else f"all {total:,}" if total else "them as they come"
            self._news = Text(f"No new notifications · n lists {count}", style="dim")
        if self._expiry is None:
            self._show_news()

    def _answered(self) -> None:
        self._expiry = None
        self._show_news()

    def _show_news(self) -> None:
        self.set_class(True, "-news")
        self.query_one("#hint").display = self._has_news
        self.query_one("#said", Static).update(self._news)
