"""The audit's findings, one per line, as `ordersaga audit` prints them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from app.audit import summary
from app.dashboard.widgets.audit_badge import AuditBadge


def findings_text(result: AuditBadge.Audited | None) -> Text:
    if result is None:
        return Text("The first audit is still running.", style="dim")
    if result.error is not None:
        return Text(f"The audit could not read this database: {result.error}", style="red")
    lines = [finding.line() for finding in result.findings or []]
    if not lines:
        lines.append("Every order's reservations, charges and shipments match its timeline; "
                     "stock and money are conserved.")
    lines.append(summary(result.orders, len(result.findings or [])))
    return Text("\n".join(lines))


class AuditFindingsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,a,q", "dismiss", "Close", show=False)]

    def __init__(self, result: AuditBadge.Audited | None) -> None:
        super().__init__()
        self._result = result

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog") as dialog:
            dialog.border_title = "Audit"
            dialog.border_subtitle = "Esc closes"
            yield Static(findings_text(self._result), id="findings")
