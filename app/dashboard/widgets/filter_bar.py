"""The filter line: typing narrows the orders list at once."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterBar(Input):
    """Enter keeps the filter and returns to the orders; Escape drops it."""

    BINDINGS = [Binding("escape", "drop", "Drop filter")]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(placeholder="Filter: id, customer, status, step or reason",
                         compact=True, id=id)

    def open(self) -> None:
        self.display = True
        self.focus()

    def action_drop(self) -> None:
        self.value = ""
        self.display = False
