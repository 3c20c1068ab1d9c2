"""The selected order at a glance: its steps in plan order, and what it needs now."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from actors import (
    SAGA_PLAN,
    CauseCheck,
    NotificationKind,
    OrderRecord,
    OrderSummary,
    SagaStatus,
    StepState,
    definition,
    format_cents,
)
from app.dashboard import display
from app.dashboard.keys import KEY_FOR
from app.dashboard.remedies import remedies


def summary(record: OrderRecord) -> str:
    """The order in one line: what it is for and which attempt is on."""
    order = record.order
    listed = ", ".join(f"{units}× {sku}" for sku, units in order.units_by_sku().items())
    attempts = f" · attempt {len(record.attempts)}" if record.attempts else ""
    version = f" · version {record.version}" if record.version > 1 else ""
    return (f"Order {order.id} · {order.customer} · {format_cents(order.total_cents)} · "
            f"{listed}{attempts}{version}")


def steps_line(record: OrderRecord) -> Text:
    attempt = record.current_attempt
    steps = attempt.steps if attempt else tuple(StepState(name=s.name) for s in SAGA_PLAN)
    line = Text(no_wrap=True, overflow="ellipsis")
    for index, step in enumerate(steps):
        if index:
            line.append(" → ", style="dim")
        line.append(f"{step.name} ")
        line.append_text(display.step_status(step.status))
    return line


def situation_line(record: OrderRecord, check: CauseCheck | None = None) -> Text:
    """What is happening, in the engine's own words once the order has settled, and
    whether the cause of its failure looks resolved now (check, where there is one)."""
    step = record.current_step
    if record.status == SagaStatus.PENDING:
        return Text("Waiting to start.", style="dim")
    if record.status == SagaStatus.RUNNING and step:
        label = definition(step).execute_label
        return Text(f"Now: {step} ({label}).")
    failure = record.failure
    if record.status == SagaStatus.COMPENSATING and step and failure:
        label = definition(step).compensate_label
        return Text(f"Failed at {failure.step}: {failure.reason}. Undoing {step} ({label}).",
                    style="yellow")
    attempt = record.current_attempt
    # What the attempt came to; a correction since is in the title (its version) and the timeline.
    notice = next((n for n in reversed(record.notifications) if n.kind != NotificationKind.CORRECTION), None)
    text = Text(notice.message if notice and attempt and notice.attempt == attempt.number else "")
    text.stylize(display.SAGA_LOOKS[record.status][1])
    if check is not None:
        said = str(check)
        text.append(f" {said[0].upper()}{said[1:]}.", style="green" if check.resolved else "yellow")
    if actions := remedies(record, check):
        text.append(f" Keys: {keys_hint(actions)}.", style="bold")
    return text


def keys_hint(actions: tuple[str, ...]) -> str:
    """remedies() in words: "t top up or e edit, then r retry, or c cancel"."""
    said = [f"{KEY_FOR[action].shown_as} {KEY_FOR[action].label.lower()}" for action in actions]
    retry = actions.index("retry")
    hint = (" or ".join(said[:retry]) + ", then " if retry else "") + said[retry]
    return hint + "".join(f", or {rest}" for rest in said[retry + 1:])


class StepStrip(Static):
    def show_loading(self, order: OrderSummary, unread: str = "") -> None:
        """An order selected whose full record is on its way from the archive, or, when
        unread says why, could not be read."""
        state = "not read" if unread else "loading…"
        self.border_title = Content(f"Order {order.id} · {order.customer} · "
                                    f"{format_cents(order.total_cents)} · {state}")
        self.update(Text(unread, style="yellow") if unread
                    else Text(f"Reading {order.id} from the archive…", style="dim"))

    def show(self, record: OrderRecord | None, empty_hint: str = "", check: CauseCheck | None = None) -> None:
        if record is None:
            self.border_title = "No order selected"
            self.update(Text(empty_hint, style="dim"))
            return
        self.border_title = Content(summary(record))
        self.update(Text("\n").join([steps_line(record), situation_line(record, check)]))
