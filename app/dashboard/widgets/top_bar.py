"""The title line: which world is open, and how its orders stand."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from actors import SagaStatus
from app.dashboard.board import ATTENTION
from app.dashboard.display import SAGA_LOOKS, word
from app.dashboard.widgets.audit_badge import AuditBadge


class TopBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield AuditBadge(id="audit")
        yield Static(id="tally")

    def show(self, scenario_name: str | None, tally: Counter[SagaStatus]) -> None:
        title = Text.assemble(("ordersaga", "bold"), " · ",
                              scenario_name or "no scenario loaded (press l)")
        self.query_one("#title", Static).update(title)
        total = sum(tally.values())
        parts: list[Text | str | tuple[str, str]] = [f"{total} order{'s' if total != 1 else ''}"]
        for status in reversed(ATTENTION):
            if tally[status]:
                style = SAGA_LOOKS[status][1]
                parts += [" · ", (f"{tally[status]} {word(status.value)}", style)]
        self.query_one("#tally", Static).update(Text.assemble(*parts))
