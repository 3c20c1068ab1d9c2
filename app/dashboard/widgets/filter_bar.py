"""The filter line: typing narrows the orders list at once."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterBar(Input):
    """Enter keeps the filter and returns to the orders; Escape drops it."""

    BINDINGS = [Binding("escape", "drop", "Drop filter")]

    def __init__(self, id: str | None = None) -> None:
        # Not selected on focus: the characters typed with the `/` may be in it already, and
        # `/` on a kept filter goes on from its text.
        super().__init__(placeholder="Filter: words, or status:failed reason:~carrier attempt:>1 updated:<10m",
                         compact=True, select_on_focus=False, id=id)

    def open(self) -> None:
        """Show the bar and take the keys at once: focus() would wait behind the keys already
        queued, so the rest of a quickly typed or pasted `/text` would act on the orders."""
        self.display = True
        self.screen.set_focus(self)

    def action_drop(self) -> None:
        self.value = ""
        self.display = False
