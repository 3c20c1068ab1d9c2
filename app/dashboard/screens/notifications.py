"""Every notification the customers were sent, oldest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable

from app.dashboard import display
from app.dashboard.board import Announcement


class NotificationsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,n,q", "dismiss", "Close", show=False)]

    def __init__(self, notices: list[Announcement]) -> None:
        super().__init__()
        self._notices = notices

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="dialog")
        table.border_title = f"Notifications ({len(self._notices)})"
        table.border_subtitle = "Esc closes"
        yield table

    def on_mount(self) -> None:
        self.call_after_refresh(self._fill)  # the message column takes the width laid out

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Time", width=8, key="at")
        table.add_column("Kind", width=14, key="kind")
        fixed = 8 + 14 + 6 * table.cell_padding + table.styles.scrollbar_size_vertical
        table.add_column("Message", width=max(20, table.scrollable_content_region.width - fixed),
                         key="message")
        for notice in self._notices:
            note = notice.notification
            table.add_row(Text(display.clock(note.at)), display.notice_kind(note.kind),
                          Text(note.message), height=None)
        if not self._notices:
            table.add_row(Text(""), Text(""), Text("No notifications yet.", style="dim"))
