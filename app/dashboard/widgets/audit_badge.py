"""The audit's verdict in the title line: is every order's state accounted for?"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from app.audit import Finding


class AuditBadge(Static):
    """Shows the latest audit of the open database; `a` lists its findings."""

    class Audited(Message):
        """An audit finished on a worker thread (number: which pass of the badge's gave it)."""

        def __init__(self, orders: int, findings: list[Finding] | None, error: str | None = None,
                     number: int = 0) -> None:
            super().__init__()
            self.orders = orders
            self.findings = findings
            self.error = error
            self.number = number

    class Progress(Message):
        """How far the first audit of a database got, in percent."""

        def __init__(self, done: int) -> None:
            super().__init__()
            self.done = done

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AuditBadge.Progress)

    def on_mount(self) -> None:
        self.update(Text("auditing…", style="dim"))

    def show_progress(self, done: int) -> None:
        self.update(Text(f"auditing {done}%", style="dim"))

    def show(self, result: AuditBadge.Audited) -> None:
        if result.error is not None:
            self.update(Text("⚠ audit failed (a)", style="bold red"))
        elif result.findings:
            count = len(result.findings)
            self.update(Text(f"⚠ {count} finding{'s' if count != 1 else ''} (a)", style="bold red"))
        else:
            self.update(Text("✓ ledger balanced", style="green"))
