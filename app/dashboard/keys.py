"""Every key of the main screen, once: the footer, the help screen and the
command palette are all built from this table."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


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


KEYS: tuple[Key, ...] = (
    Key("r", "r", "retry", "Retry",
        "Retry the selected order: a failed one whose cause is resolved, or one on hold"),
    Key("c", "c", "cancel", "Cancel",
        "Cancel the selected order on hold: its completed steps are compensated"),
    Key("t", "t", "top_up", "Top up", "Top up the account of the selected order's customer"),
    Key("s", "s", "restock", "Restock", "Restock the items of the selected order"),
    Key("l", "l", "load", "Load",
        "Load a scenario: it replaces everything in the database and starts at once"),
    Key("k", "k", "crash", "Crash",
        "Crash the coordinator and restart it: it recovers every order from storage"),
    Key("slash", "/", "filter", "Filter",
        "Filter the orders by id, customer, status, step or failure reason"),
    Key("o", "o", "sort", "Sort",
        "Sort the orders by the next column (status puts what needs you first)", in_footer=False),
    Key("n", "n", "notifications", "Notices",
        "Show every notification sent to customers", in_footer=False),
    Key("a", "a", "audit", "Audit",
        "List the audit's findings: state that no order's timeline accounts for", in_footer=False),
    Key("question_mark", "?", "help", "Help", "Show the keys and what each pane shows"),
    Key("q", "q", "quit", "Quit",
        "Quit; orders in flight resume when the database is opened again"),
)
