"""The notifications the customers were sent, oldest first: every one, or those of the
latest orders when the history is long (they are read from the archive when asked for)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable

from app.dashboard import display
from app.dashboard.board import LIST_CAP, Announcement


class NotificationsScreen(ModalScreen[None]):
    """Posted its notices once they are read (Read): a screen closed meanwhile never handles
    them, and one not composed yet handles them once it is."""

    class Read(Message):
        """The notices read; complete says they are every order's, not the latest orders' only."""

        def __init__(self, notices: list[Announcement], complete: bool) -> None:
            super().__init__()
            self.notices = notices
            self.complete = complete

    BINDINGS = [Binding("escape,n,q", "dismiss", "Close", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._read: tuple[list[Announcement], bool] | None = None

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="dialog")
        table.border_title = "Notifications (loading…)"
        table.border_subtitle = "Esc closes"
        yield table

    def on_mount(self) -> None:
        self.call_after_refresh(self._add_columns)  # the message column takes the width laid out

    def _add_columns(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Time", width=8, key="at")
        table.add_column("Kind", width=14, key="kind")
        fixed = 8 + 14 + 6 * table.cell_padding + table.styles.scrollbar_size_vertical
        table.add_column("Message", width=max(20, table.scrollable_content_region.width - fixed),
                         key="message")
        if self._read is not None:  # read before the columns were laid out
            self._fill(*self._read)

    @on(Read)
    def _show(self, read: Read) -> None:
        self._read = (read.notices, read.complete)
        table = next(iter(self.query(DataTable)), None)  # none once closing: its table goes first
        if table is not None and table.columns:
            self._fill(read.notices, read.complete)

    def _fill(self, notices: list[Announcement], complete: bool) -> None:
        table = self.query_one(DataTable)
        of = "" if complete else f" of the latest {LIST_CAP:,} orders"
        table.border_title = f"Notifications{of} ({len(notices):,})"
        for notice in notices:
            note = notice.notification
            table.add_row(Text(display.clock(note.at)), display.notice_kind(note.kind),
                          Text(note.message), height=None)
        if not notices:
            table.add_row(Text(""), Text(""), Text("No notifications yet.", style="dim"))
