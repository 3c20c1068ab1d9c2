"""The title line: which world is open, and how its orders stand."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from actors import SagaStatus, WorkerState
from app.dashboard.board import ATTENTION
from app.dashboard.display import SAGA_LOOKS, WORKER_LOOKS, no_color, word
from app.dashboard.widgets.audit_badge import AuditBadge


class TopBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="workers")
        yield AuditBadge(id="audit")
        yield Static(id="tally")

    def show(self, scenario_name: str | None, tally: Counter[SagaStatus],
             workers: list[WorkerState] | None = None) -> None:
        title = Text.assemble(("ordersaga", "bold"), " · ",
                              scenario_name or "no scenario loaded (press l)")
        self.query_one("#title", Static).update(title)
        shown = roster(workers or [])
        self.query_one("#workers", Static).update(Text.assemble(*shown))
        self.query_one("#workers", Static).display = bool(shown)
        total = sum(tally.values())
        parts: list[Text | str | tuple[str, str]] = [f"{total} order{'s' if total != 1 else ''}"]
        for status in reversed(ATTENTION):
            if tally[status]:
                style = SAGA_LOOKS[status][1]
                parts += [" · ", (f"{tally[status]} {word(status.value)}", style)]
        self.query_one("#tally", Static).update(Text.assemble(*parts))


def roster(workers: list[WorkerState]) -> list[str | tuple[str, str]]:
    """The workers of a database run by them, as the top line shows them: how many run (alive
    or silent), how many of those are silent, and which were lost (their sagas taken over)."""
    if not workers:
        return []
    running = [worker for worker in workers if worker.state in ("alive", "silent")]
    silent = sum(worker.state == "silent" for worker in running)
    lost = [worker.id for worker in workers if worker.state == "lost"]
    parts: list[str | tuple[str, str]] = [f"{len(running)} worker{'s' if len(running) != 1 else ''}"]
    if silent:
        parts += [" · ", (f"{silent} silent", "" if no_color() else WORKER_LOOKS["silent"][1])]
    if lost:
        named = ", ".join(lost[:2]) + (f" and {len(lost) - 2} more" if len(lost) > 2 else "")
        parts += [" · ", (f"{named} lost", "" if no_color() else WORKER_LOOKS["lost"][1])]
    return parts
