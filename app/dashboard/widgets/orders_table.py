"""The list of orders: one row each, updated in place as their sagas move.

Column widths are fixed: measuring content on each update costs a full pass
over the rows, which is what keeps a big table from answering keys.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

from actors.domain import OrderRecord, format_cents
from app.dashboard import display
from app.dashboard.board import SORT_KEYS, OrderBoard, shown_step

# (key, title, width): 77 cells with padding, so the table fits 80 columns.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "Order", 8),
    ("customer", "Customer", 11),
    ("total", "Total", 10),
    ("status", "Status", 14),
    ("step", "Step", 9),
    ("attempts", "Try", 3),
    ("updated", "Updated", 8),
)
SORT_ORDER = tuple(key for key, _, _ in COLUMNS)
assert set(SORT_ORDER) == set(SORT_KEYS)


def row_cells(record: OrderRecord) -> tuple[Text, ...]:
    return (
        Text(record.order.id, no_wrap=True, overflow="ellipsis"),
        Text(record.order.customer, no_wrap=True, overflow="ellipsis"),
        Text(format_cents(record.order.total_cents), justify="right"),
        display.saga_status(record.status),
        Text(shown_step(record)),
        Text(str(len(record.attempts)), justify="right"),
        Text(display.clock(record.updated_at)),
    )


class OrdersTable(DataTable[Text]):
    def __init__(self, board: OrderBoard, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._board = board
        self.filter_text = ""
        self.sort_column = "id"
        self.sort_reverse = False
        self._shown: list[str] = []
        self._cells: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            self.add_column(title, width=width, key=key)

    @property
    def selected_id(self) -> str | None:
        if not self._shown:
            return None
        return self._shown[min(self.cursor_row, len(self._shown) - 1)]

    @property
    def shown_count(self) -> int:
        return len(self._shown)

    def rebuild(self) -> None:
        """List the board again from scratch, keeping the selected order selected."""
        selected = self.selected_id
        self._shown = self._board.visible(self.filter_text, self.sort_column, self.sort_reverse)
        self.clear()
        self._cells = {}
        for order_id in self._shown:
            cells = row_cells(self._board.records[order_id])
            self.add_row(*cells, key=order_id)
            self._cells[order_id] = tuple(cell.plain for cell in cells)
        if selected in self._shown:
            self.move_cursor(row=self._shown.index(selected))
        self._retitle()

    def refresh_orders(self, changed: set[str]) -> None:
        """Show changed orders: cells in place, rows moved only when the sort asks."""
        wanted = self._board.visible(self.filter_text, self.sort_column, self.sort_reverse)
        if set(wanted) != set(self._shown):
            self.rebuild()
            return
        for order_id in changed.intersection(self._cells):
            cells = row_cells(self._board.records[order_id])
            plain = tuple(cell.plain for cell in cells)
            for (key, _, _), cell, old, new in zip(COLUMNS, cells, self._cells[order_id], plain):
                if old != new:
                    self.update_cell(order_id, key, cell)
            self._cells[order_id] = plain
        if wanted != self._shown:
            self._reorder(wanted)

    def _reorder(self, wanted: list[str]) -> None:
        selected = self.selected_id
        position = {order_id: index for index, order_id in enumerate(wanted)}
        self.sort("id", key=lambda cell: position[cell.plain])
        self._shown = wanted
        if selected is not None:
            self.move_cursor(row=position[selected], scroll=False)
        self._retitle()

    def _retitle(self) -> None:
        title = f"Orders ({len(self._board.records)})"
        if self.filter_text:
            title += f" · {len(self._shown)} match “{self.filter_text}”"
        title += f" · by {self.sort_column} {'↓' if self.sort_reverse else '↑'}"
        self.border_title = Content(title)

    def sort_by(self, column: str, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._reorder(self._board.visible(self.filter_text, column, reverse))

    def next_sort(self) -> None:
        """The next column, ascending: a key press cycles through them all."""
        self.sort_by(SORT_ORDER[(SORT_ORDER.index(self.sort_column) + 1) % len(SORT_ORDER)])

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        self.sort_by(column, reverse=column == self.sort_column and not self.sort_reverse)
