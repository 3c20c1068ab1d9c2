"""The list of orders: one row each of those that matter (board.LIST_CAP at most),
updated in place as their sagas move; a filter finds any other.

Column widths are fixed: measuring content on each update costs a full pass
over the rows, which is what keeps a big table from answering keys. A narrow
terminal drops the columns it can spare rather than cutting the others short.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import DataTable

from actors import OrderSummary, format_cents
from app.dashboard import display
from app.dashboard.board import SORT_KEYS, Listing, OrderBoard
from app.dashboard.keys import MOVE_BINDINGS
from app.query import Query, shown_step

# (key, title, width): 74 cells with padding, so the table fits 80 columns,
# and 59 without the spared columns, so it fits 60.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "Order", 6),
    ("customer", "Customer", 11),
    ("total", "Total", 9),
    ("status", "Status", 14),
    ("step", "Step", 9),
    ("attempts", "Try", 3),
    ("updated", "Updated", 8),
    ("reason", "Reason", 30),
    ("worker", "Worker", 10),
)
# Dropped in this order when the table is narrower than its columns; the
# order pane shows the selected order's reason and attempt, its timeline the times.
SPARED = ("reason", "worker", "updated", "attempts")
WORKERS_ONLY = "worker"  # a column of databases run by workers (PostgreSQL's) only
SORT_ORDER = tuple(key for key, _, _ in COLUMNS)
assert set(SORT_ORDER) == set(SORT_KEYS)


MARK = "●"  # before the id of a row marked with space (R and C act on the marked rows)


def worker_cell(worker: str | None, mark: str | None) -> Text:
    """The worker that last moved the order; a symbol and its colour when the order waits
    on it and it is silent or lost."""
    if mark is None:
        return Text(worker or "", no_wrap=True, overflow="ellipsis")
    symbol, style = display.WORKER_LOOKS[mark]
    return Text(f"{symbol} {worker}", style="" if display.no_color() else style, no_wrap=True,
                overflow="ellipsis")


def row_cells(summary: OrderSummary, marked: bool = False, mark: str | None = None) -> dict[str, Text]:
    return {
        "id": Text(f"{MARK}{summary.id}" if marked else summary.id, no_wrap=True, overflow="ellipsis"),
        "customer": Text(summary.customer, no_wrap=True, overflow="ellipsis"),
        "total": Text(format_cents(summary.total_cents), justify="right"),
        "status": display.saga_status(summary.status),
        "step": Text(shown_step(summary)),
        "attempts": Text(str(summary.attempts), justify="right"),
        "updated": Text(display.when(summary.updated_at)),
        "reason": Text(summary.failure.reason if summary.failure else "", no_wrap=True, overflow="ellipsis"),
        "worker": worker_cell(summary.worker, mark),
    }


def id_width(longest: int) -> int:
    """The Order column's width for ids of up to `longest` characters, the mark included: an
    id is never cut short."""
    return max(COLUMNS[0][2], longest + len(MARK))


def fitting_columns(width: int, cell_padding: int = 1, ids: int = 0,
                    workers: bool = False) -> tuple[tuple[str, str, int], ...]:
    """Every column that fits width (the scrollbar's included), dropping the spared ones first;
    ids: the longest id listed, which widens the Order column; workers: whether the database
    is run by workers, who get a column."""
    columns = tuple((key, title, id_width(ids) if key == "id" else w) for key, title, w in COLUMNS
                    if workers or key != WORKERS_ONLY)
    for spared in SPARED:
        if sum(w + 2 * cell_padding for _, _, w in columns) <= width:
            break
        columns = tuple(column for column in columns if column[0] != spared)
    return columns


class OrdersTable(DataTable[Text]):
    BINDINGS = MOVE_BINDINGS

    def __init__(self, board: OrderBoard, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._board = board
        self.filter_query = Query()  # the filter: its text is what the operator typed
        self.sort_column = "id"
        self.sort_reverse = False
        self._shown: list[str] = []
        self._matches = 0
        self._cells: dict[str, tuple[str, ...]] = {}
        self.with_workers = False  # whether the Worker column is shown (see show_workers)
        self._columns = fitting_columns(10_000)
        self._width = 0  # the table's width, the scrollbar's excluded
        self._longest_id = 0
        self.marked: set[str] = set()  # the orders marked with space

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, title, width in self._columns:
            self.add_column(title, width=width, key=key)

    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width - self.styles.scrollbar_size_vertical
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Columns for the width and the ids listed (rebuilt, keeping the selection, if they change)."""
        if not self._width:
            return  # not laid out yet: its first resize fits them
        columns = fitting_columns(self._width, self.cell_padding, self._longest_id, self.with_workers)
        if columns != self._columns:
            selected = self.selected_id
            self._columns = columns
            self.clear(columns=True)
            self._add_columns()
            self.rebuild()
            if selected is not None:
                self.select(selected)

    def show_workers(self) -> None:
        """Give the workers a column: the database is run by them."""
        if not self.with_workers:
            self.with_workers = True
            self._fit_columns()

    def _shown_cells(self, summary: OrderSummary) -> list[tuple[str, Text]]:
        cells = row_cells(summary, summary.id in self.marked, self._board.worker_mark(summary))
        return [(key, cells[key]) for key, _, _ in self._columns]

    @property
    def selected_id(self) -> str | None:
        if not self._shown:
            return None
        return self._shown[min(self.cursor_row, len(self._shown) - 1)]

    def own_rows(self) -> list[str]:
        """The ids the list shows of its own, top to bottom: not counting a selection it
        keeps listed (one the filter or the cap would leave out)."""
        return self._board.listing(self.filter_query, self.sort_column, self.sort_reverse).ids

    def _listing(self, keep: str | None = None) -> Listing:
        return self._board.listing(self.filter_query, self.sort_column, self.sort_reverse,
                                   keep=keep or self.selected_id)

    def rebuild(self, listing: Listing | None = None) -> None:
        """List the board again from scratch, keeping the selected order selected."""
        selected = self.selected_id
        listing = listing or self._listing()
        if self._widen_for(listing.ids):
            return  # the columns were made again, and the rows with them
        self._shown, self._matches = listing.ids, listing.matches
        self.clear()
        self._cells = {}
        for order_id in self._shown:
            self._add(order_id)
        if selected in self._shown:
            self.move_cursor(row=self._shown.index(selected))
        self._retitle()

    def _add(self, order_id: str) -> None:
        cells = self._shown_cells(self._board.summaries[order_id])
        self.add_row(*(cell for _, cell in cells), key=order_id)
        self._cells[order_id] = tuple(cell.plain for _, cell in cells)

    def refresh_orders(self, changed: set[str]) -> None:
        """Show changed orders: cells in place, rows added or removed as orders come into the
        list or leave it, moved only when the sort asks (a rebuild only when most rows change)."""
        selected = self.selected_id
        listing = self._listing()
        wanted = listing.ids
        if self._widen_for(wanted):
            return
        gone = set(self._shown).difference(wanted)
        new = [order_id for order_id in wanted if order_id not in self._cells]
        if len(gone) + len(new) > len(wanted) // 2:
            self.rebuild(listing)
            return
        self._matches = listing.matches
        for order_id in gone:
            self.remove_row(order_id)
            del self._cells[order_id]
        for order_id in changed.intersection(self._cells):
            cells = self._shown_cells(self._board.summaries[order_id])
            plain = tuple(cell.plain for _, cell in cells)
            for (key, cell), old, now in zip(cells, self._cells[order_id], plain, strict=True):
                if old != now:
                    self.update_cell(order_id, key, cell)
            self._cells[order_id] = plain
        for order_id in new:
            self._add(order_id)
        self._shown = [order_id for order_id in self._shown if order_id not in gone] + new
        if wanted != self._shown:
            self._reorder(wanted, selected)
        else:
            self._retitle()

    def _widen_for(self, ids: list[str]) -> bool:
        """Widen the Order column for a longer id than any listed so far (then the table is
        made again: True)."""
        longest = max(map(len, ids), default=0)
        if longest <= self._longest_id:
            return False
        self._longest_id = longest
        before = self._columns
        self._fit_columns()
        return self._columns != before

    def refresh_marks(self, order_ids: set[str]) -> None:
        """Show whether these orders are marked."""
        self.refresh_orders(set(order_ids))

    def _reorder(self, wanted: list[str], selected: str | None) -> None:
        position = {order_id: index for index, order_id in enumerate(wanted)}
        self.sort("id", key=lambda cell: position[cell.plain.removeprefix(MARK)])
        self._shown = wanted
        if selected in position:
            self.move_cursor(row=position[selected], scroll=False)
        self._retitle()

    def _retitle(self) -> None:
        """How many orders there are, how many are listed, and how they are sorted."""
        board, shown = self._board, len(self._shown)
        title = f"Orders ({len(board.summaries):,})"
        if self.filter_query:
            title += f" · {self._matches:,} match “{self.filter_text}”"
            if shown < self._matches:
                title += f", first {shown:,} shown"
        elif shown < self._matches:
            title = f"Orders ({shown:,} of {self._matches:,} shown, / finds any)"
        if not board.history_loaded:
            title += " · loading history…"
        title += f" · by {self.sort_column} {'↓' if self.sort_reverse else '↑'}"
        self.border_title = Content(title)

    @property
    def filter_text(self) -> str:
        return self.filter_query.text

    def sort_by(self, column: str, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._reorder(self._board.in_order(self._shown, column, reverse), self.selected_id)

    def next_sort(self) -> None:
        """The next column, ascending: a key press cycles through them all."""
        self.sort_by(SORT_ORDER[(SORT_ORDER.index(self.sort_column) + 1) % len(SORT_ORDER)])

    def reverse_sort(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    def select(self, order_id: str) -> None:
        """Move the cursor to order_id, listing it first if it is not (it stays listed while
        selected, as a filter hit does)."""
        if order_id not in self._shown:
            self.rebuild(self._listing(keep=order_id))
        self.move_cursor(row=self._shown.index(order_id))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        self.sort_by(column, reverse=column == self.sort_column and not self.sort_reverse)
