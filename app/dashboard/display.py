"""How states and times read on screen: a symbol and a word, coloured, never colour alone."""

from __future__ import annotations

import os
from datetime import datetime

from rich.text import Text

from actors import Action, NotificationKind, OperatorAction, Outcome, SagaStatus, StepStatus

SAGA_LOOKS: dict[SagaStatus, tuple[str, str]] = {
    SagaStatus.PENDING: ("○", "dim"),
    SagaStatus.RUNNING: ("◐", "cyan"),
    SagaStatus.COMPENSATING: ("↺", "yellow"),
    SagaStatus.ON_HOLD: ("‖", "yellow"),
    SagaStatus.FAILED: ("✗", "bold red"),
    SagaStatus.CANCELLED: ("⊘", "magenta"),
    SagaStatus.COMPLETED: ("✓", "green"),
}
STEP_LOOKS: dict[StepStatus, tuple[str, str]] = {
    StepStatus.PENDING: ("·", "dim"),
    StepStatus.RUNNING: ("▶", "bold cyan"),
    StepStatus.SUCCEEDED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "bold red"),
    StepStatus.COMPENSATING: ("↺", "yellow"),
    StepStatus.COMPENSATED: ("↶", "magenta"),
}
OUTCOME_LOOKS: dict[Outcome, tuple[str, str]] = {
    Outcome.STARTED: ("▶", "cyan"),
    Outcome.SUCCEEDED: ("✓", "green"),
    Outcome.FAILED: ("✗", "bold red"),
    Outcome.RETRYING: ("↻", "yellow"),
    Outcome.COMPENSATED: ("↶", "magenta"),
}
NOTICE_LOOKS: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.CONFIRMATION: ("✓", "green"),
    NotificationKind.FAILURE: ("✗", "bold red"),
    NotificationKind.ON_HOLD: ("‖", "yellow"),
    NotificationKind.CORRECTION: ("✎", "cyan"),
    NotificationKind.CANCELLATION: ("⊘", "magenta"),
}

# A worker an order in flight waits on, beside its id in the list (see actors' at_risk).
WORKER_LOOKS: dict[str, tuple[str, str]] = {
    "silent": ("?", "bold yellow"),
    "lost": ("✗", "bold red"),
}


def word(value: str) -> str:
    """An enum value as a person writes it: on_hold -> on hold."""
    return value.replace("_", " ")


def no_color() -> bool:
    """Whether NO_COLOR asks for no colour (https://no-color.org): any value but empty."""
    return bool(os.environ.get("NO_COLOR"))


def labelled(looks: tuple[str, str], value: str) -> Text:
    """A symbol and a word; under NO_COLOR in the default foreground (a dim or coloured word
    stripped of its colour can end up dark grey on black)."""
    symbol, style = looks
    return Text(f"{symbol} {word(value)}", style="" if no_color() else style, no_wrap=True, overflow="ellipsis")


def saga_status(status: SagaStatus) -> Text:
    return labelled(SAGA_LOOKS[status], status.value)


def step_status(status: StepStatus) -> Text:
    return labelled(STEP_LOOKS[status], status.value)


def outcome(value: Outcome) -> Text:
    return labelled(OUTCOME_LOOKS[value], value.value)


def notice_kind(kind: NotificationKind) -> Text:
    return labelled(NOTICE_LOOKS[kind], kind.value)


def action(value: Action | OperatorAction) -> Text:
    return Text(word(value.value), style="yellow" if value == Action.COMPENSATE else "")


def local_now() -> datetime:
    """Now, in local time (what "today" is; a test freezes it)."""
    return datetime.now().astimezone()


def when(at: datetime | None, now: datetime | None = None) -> str:
    """A stored UTC time for a list: the time of day if it is today (local), else the date
    (May 31), or the month and year if not this year: never more than 8 characters."""
    if at is None:
        return ""
    local, today = at.astimezone(), (now or local_now()).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%b %d" if local.year == today.year else "%b %Y")


def clock(at: datetime | None, millis: bool = False) -> str:
    """A stored UTC time as the local wall-clock time of day."""
    if at is None:
        return ""
    stamp = at.astimezone().strftime("%H:%M:%S.%f" if millis else "%H:%M:%S")
    return stamp[:-3] if millis else stamp
