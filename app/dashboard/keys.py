"""Every key of the main screen, once: the footer, the help screen and the
command palette are all built from this table."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    key: str
    shown_as: str
    action: str
    label: str
    description: str
    in_footer: bool = True

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.label, show=self.in_footer,
                       key_display=self.shown_as)


# In footer order: the keys that act on the selected order first (the footer
# shows only those that can help it), help and quit last (pinned to the right).
KEYS: tuple[Key, ...] = (
    Key("r", "r", "retry", "Retry",
        "Retry the selected order, failed or on hold; asks first while the stock or money it lacked "
        "is still short"),
    Key("e", "e", "edit", "Edit",
        "Correct the selected failed or held order (address, quantities, items), then r retries it"),
    Key("c", "c", "cancel", "Cancel",
        "Cancel the selected order on hold: its completed steps are compensated (asks first)"),
    Key("t", "t", "top_up", "Top up", "Top up the account of the selected order's customer"),
    Key("s", "s", "restock", "Restock", "Restock the items of the selected order"),
    Key("space", "space", "mark", "Mark",
        "Mark or unmark the selected order and go to the next: R and C act on the marked orders",
        in_footer=False),
    Key("R", "R", "bulk_retry", "Retry all",
        "Retry the marked orders, or with none marked every order the filter matches, however "
        "many (asks first, with the count)"),
    Key("C", "C", "bulk_cancel", "Cancel all",
        "Cancel the marked orders, or with none marked every order the filter matches (asks first)",
        in_footer=False),
    Key("f", "f", "next_failed", "Next failed",
        "Select the next order that is failed or on hold"),
    Key("slash", "/", "filter", "Filter",
        "Filter the orders: words found anywhere, or fields, all ANDed: status:failed "
        "reason:~carrier customer:c01 step:shipping attempt:>1 total:>25 updated:<10m"),
    Key("o", "o", "sort", "Sort",
        "Sort the orders by the next column (status puts what needs you first)"),
    Key("O", "O", "reverse_sort", "Reverse",
        "Reverse the order of the sort", in_footer=False),
    Key("n", "n", "notifications", "Notices",
        "Show every notification sent to customers"),
    Key("T", "T", "trends", "Trends",
        "Orders completed and failed per minute over the last hour, and the failure reasons ranked",
        in_footer=False),
    Key("a", "a", "audit", "Audit",
        "List the audit's findings: state that no order's timeline accounts for"),
    Key("l", "l", "load", "Load",
        "Load a scenario: it replaces everything in the database (asks first)"),
    Key("X", "X", "crash", "Crash",
        "Crash the coordinator and restart it: it recovers every order from storage (asks first)",
        in_footer=False),
    Key("question_mark", "?", "help", "Help", "Show the keys and what each pane shows"),
    Key("q", "q", "quit", "Quit",
        "Quit; orders in flight resume when the database is opened again"),
)
KEY_FOR = {key.action: key for key in KEYS}
KEY_BY_NAME = {key.key: key for key in KEYS}
# Kept in sight at the right of the footer, however narrow the terminal.
PINNED = ("help", "quit")

# Moving in a table as in vim, less and k9s; shown in the help screen, not the footer.
MOVES: tuple[tuple[str, str, str], ...] = (
    ("j", "cursor_down", "Down"),
    ("k", "cursor_up", "Up"),
    ("g", "scroll_top", "First"),
    ("G", "scroll_bottom", "Last"),
)
MOVE_BINDINGS: list[BindingType] = [Binding(key, action, label, show=False) for key, action, label in MOVES]
