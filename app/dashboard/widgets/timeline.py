"""Every event of the selected order's saga, oldest first, growing while it runs;
each attempt opens with a heading row, so a retry reads as a new start."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import DataTable

from actors import OrderRecord, TimelineEvent
from app.dashboard import display
from app.dashboard.keys import MOVE_BINDINGS

# (key, title, width); the reason takes what is left and wraps.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("at", "Time", 12),
    ("attempt", "#", 2),
    ("step", "Step", 9),
    ("action", "Action", 10),
    ("outcome", "Outcome", 13),
)
MIN_REASON_WIDTH = 16
HEADING = "attempt-"  # the row key of an attempt's heading, then its number


def event_cells(event: TimelineEvent) -> tuple[Text, ...]:
    return (
        Text(display.clock(event.at, millis=True)),
        Text(str(event.attempt), justify="right"),
        Text(event.step),
        display.action(event.action),
        display.outcome(event.outcome),
        reason_cell(event),
    )


def reason_cell(event: TimelineEvent) -> Text:
    """The reason; for an operator's action, who did it first, where a narrow pane keeps it."""
    if event.by is None:
        return Text(event.reason)
    return Text.assemble((f"by {event.by}", "bold"), ": " if event.reason else "", event.reason)


def heading_cells(attempt: int, widths: list[int]) -> tuple[Text, ...]:
    """A rule across the row, titled with the attempt that starts under it."""
    title = f"Attempt {attempt} "
    first = Text(title, style="bold").append("─" * (widths[0] - len(title)), style="dim")
    return (first, *(Text("─" * width, style="dim") for width in widths[1:]))


class Timeline(DataTable[Text]):
    BINDINGS = MOVE_BINDINGS

    def __init__(self, id: str | None = None) -> None:
        super().__init__(cursor_type="none", id=id)
        self._record: OrderRecord | None = None
        self._built_width = 0
        self._last_attempt = 0

    def show(self, record: OrderRecord | None) -> None:
        """Show record's events; those of the same order already shown stay put."""
        before = self._record
        self._record = record
        if record is None:
            self.border_title = "Timeline"
        else:
            count = len(record.timeline)
            self.border_title = Content(
                f"Timeline of {record.order.id} ({count} event{'s' if count != 1 else ''})")
        if (record is not None and before is not None and self.columns
                and before.order.id == record.order.id
                and record.timeline[:len(before.timeline)] == before.timeline):
            self._add_events(record.timeline[len(before.timeline):])
            return
        self._rebuild()

    def show_loading(self, order_id: str, unread: bool = False) -> None:
        """Empty, until the order's record arrives, or for good when it is unread (the columns
        stay: they are laid out already)."""
        self._record = None
        self._last_attempt = 0
        self.border_title = Content(f"Timeline of {order_id} ({'not read' if unread else 'loading…'})")
        self.clear()

    def _rebuild(self) -> None:
        self.clear(columns=True)
        self._last_attempt = 0
        self._built_width = self.size.width
        fixed = sum(width + 2 * self.cell_padding for _, _, width in COLUMNS)
        # The scrollbar's gutter is kept (CSS), so this width does not jump as rows arrive.
        reason_width = max(MIN_REASON_WIDTH,
                           self.scrollable_content_region.width - fixed - 2 * self.cell_padding)
        for key, title, width in COLUMNS:
            self.add_column(title, width=width, key=key)
        self.add_column("Reason", width=reason_width, key="reason")
        if self._record is not None:
            self._add_events(self._record.timeline)
        # The latest events stay in view as they arrive, until the reader scrolls back.
        self.anchor()

    def _add_events(self, timeline: tuple[TimelineEvent, ...]) -> None:
        for event in timeline:
            if event.attempt != self._last_attempt:
                self._last_attempt = event.attempt
                widths = [column.width for column in self.ordered_columns]
                self.add_row(*heading_cells(event.attempt, widths), key=f"{HEADING}{event.attempt}")
            # A long reason wraps onto more lines rather than being cut.
            self.add_row(*event_cells(event), height=None)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._built_width:
            self._rebuild()  # the reason column takes the new width
