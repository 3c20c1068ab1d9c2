"""The help screen: every key, and what each pane shows."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.dashboard.keys import KEYS

PANES = (
    ("Orders", "Every order: its total, status (a word as well as a colour), the step it is at "
               "or stopped at, its attempts and last update (a narrow terminal drops these two). Click a "
               "heading to sort by it, again to reverse."),
    ("Order", "The selected order's steps in plan order, and what it needs now: a failed order "
              "says why, whether the stock or money it lacked is there now, and which key resolves it."),
    ("Timeline", "Every event of the selected order under a heading per attempt: time, step, "
                 "action, outcome and the reason of a failure. Compensations run in reverse order."),
    ("Events", "The line above the keys: the answer to your last action for a few seconds, "
               "otherwise the notifications since n last listed them, by kind."),
    ("Keys", "The footer shows the keys that can help the selected order; the others still "
             "answer, and every key is listed here and in the palette."),
)


def help_text(db: str) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key in KEYS:
        table.add_row(key.shown_as, key.description)
    table.add_row("↑ ↓  j k", "Select the order above or below (in the timeline: scroll)")
    table.add_row("g G", "Select the first or the last order")
    table.add_row("ctrl+p", "Command palette: every action above, by name")
    table.add_row("", "")
    for name, what in PANES:
        table.add_row(Text(name), what)
    table.add_row("", "")
    table.add_row("Database", Text(str(db), overflow="fold"))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", show=False)]

    def __init__(self, db: str) -> None:
        super().__init__()
        self._db = db

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog") as dialog:
            dialog.border_title = "Keys"
            dialog.border_subtitle = "Esc closes"
            yield Static(help_text(self._db))
