"""The operator's actions on the selected order and on the world, each asked in its dialog
where it needs an answer, and each run on a worker thread: the engine's answer or refusal
goes to the event line."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.message import Message
from textual.screen import Screen

from actors import (
    CauseUnresolved,
    Correction,
    EngineRestarting,
    Refused,
    SagaEngine,
    SagaStatus,
    Scenario,
    StorageFailed,
    must_be_correctable,
)
from app.amounts import as_dollars, parse_dollars, parse_units
from app.dashboard.screens.amount_prompt import AmountPrompt, Field
from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.edit_prompt import EditPrompt
from app.dashboard.screens.main_parts.events import Events
from app.dashboard.screens.main_parts.feed import WorldFeed
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.screens.main_parts.selection import Selection
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.dashboard.widgets.event_line import EventLine
from app.dashboard.wording import (
    cancel_question,
    crash_and_restart,
    crash_question,
    load_question,
    retry_anyway_question,
    top_up_suggestion,
)


class OperatorActions:
    class RetryUnresolved(Message):
        """A retry the engine did not start, because its failure's cause is not resolved yet."""

        def __init__(self, unresolved: CauseUnresolved) -> None:
            super().__init__()
            self.unresolved = unresolved

    def __init__(self, screen: PartsHost, feed: WorldFeed, selection: Selection, events: Events) -> None:
        self._screen = screen
        self._feed = feed
        self._selection = selection
        self._events = events

    def dialog(self, screen: Screen[Any], callback: Callable[[Any], None] | None = None) -> None:
        self._screen.app.push_screen(screen, callback)

    def confirm(self, screen: ConfirmScreen, then: Callable[[], object]) -> None:
        """Run then only if the operator answers yes."""
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.dialog(screen, answered)

    def on_engine(self, call: Callable[[SagaEngine], str]) -> None:
        """Run one operator action on a worker thread."""
        self._screen.run_worker(partial(self._run, call), thread=True, group="engine")

    def _run(self, call: Callable[[SagaEngine], str]) -> None:
        screen = self._screen
        try:
            message = screen.session.call(call)
        except CauseUnresolved as unresolved:
            screen.post_message(self.RetryUnresolved(unresolved))
        except Refused as refusal:
            screen.post_message(EventLine.Said(f"Refused: {refusal}", "warning"))
        except StorageFailed as error:
            screen.post_message(EventLine.Said(f"Not done: {error}", "error"))
        except EngineRestarting:
            # The scenario's crash fault restarts the coordinator on its own thread.
            screen.post_message(EventLine.Said(
                "The coordinator is restarting after a crash; try again in a moment.", "warning"))
        else:
            screen.post_message(EventLine.Said(message))
            self._selection.read_supplies()  # a top-up or restock may have resolved the selected order's cause

    @property
    def _by(self) -> str | None:
        """Who the dashboard acts as (None: the login name)."""
        return self._screen.session.operator

    def retry(self) -> None:
        if record := self._selection.selected():
            order_id = record.order.id
            self.on_engine(lambda engine: engine.retry(order_id, by=self._by))

    def ask_retry_anyway(self, message: RetryUnresolved) -> None:
        order_id = message.unresolved.order_id
        question = retry_anyway_question(message.unresolved, self._screen.board.summaries.get(order_id))
        self.confirm(ConfirmScreen("Retry anyway?", question, "Retry anyway", "Not now"),
                     lambda: self.on_engine(lambda engine: engine.retry(order_id, force=True, by=self._by)))

    def edit(self) -> None:
        """Correct the selected order in a form that checks as typed; saving sends it."""
        record = self._selection.selected()
        if record is None:
            return
        try:
            must_be_correctable(record)
        except Refused as refusal:
            self._events.say(f"Refused: {refusal}", "warning")
            return

        def save(change: Correction | None) -> None:
            if change is not None:
                self.on_engine(lambda engine: engine.edit(change, by=self._by))

        self.dialog(EditPrompt(record), save)

    def cancel(self) -> None:
        record = self._selection.selected()
        if record is None:
            return
        order_id = record.order.id

        def cancel() -> None:
            self.on_engine(lambda engine: engine.cancel(order_id, by=self._by))

        if record.status != SagaStatus.ON_HOLD:
            cancel()  # nothing to lose: the engine refuses and says why
            return
        self.confirm(ConfirmScreen(f"Cancel {order_id}?", cancel_question(record), f"Cancel {order_id}",
                                   "Keep it on hold"), cancel)

    def top_up(self) -> None:
        record = self._selection.selected()
        if record is None:
            return
        customer = record.order.customer
        field = Field("Amount in dollars and cents, e.g. 25.00",
                      as_dollars(top_up_suggestion(record, self._selection.supplies)), parse_dollars)

        def top_up(values: list[int] | None) -> None:
            if values:
                self.on_engine(lambda engine: engine.top_up(customer, values[0], by=self._by))

        self.dialog(AmountPrompt(f"Top up {customer}", [field], "top up"), top_up)

    def restock(self) -> None:
        record = self._selection.selected()
        if record is None:
            return
        wanted = record.order.units_by_sku()
        skus = list(wanted)
        fields = [Field(f"Units of {sku} to add (whole number)", str(wanted[sku]), parse_units)
                  for sku in skus]

        def restock(values: list[int] | None) -> None:
            if values:
                self.on_engine(lambda engine: " ".join(
                    engine.restock(sku, units, by=self._by) for sku, units in zip(skus, values, strict=True)))

        title = f"Restock the items of {record.order.id}"
        self.dialog(AmountPrompt(title, fields, "restock"), restock)

    def load(self) -> None:
        self.dialog(ScenarioPicker(self._screen.session.shown), self._confirm_load)

    def _confirm_load(self, scenario: Scenario | None) -> None:
        if scenario is None:
            return
        screen = self._screen
        orders, in_flight = len(screen.board.summaries), screen.board.unsettled()
        if self._feed.scenario is None and not orders:
            self._load(scenario)  # an empty database: nothing to lose
            return
        question = load_question(scenario.name, screen.session.shown, orders, in_flight)
        self.confirm(ConfirmScreen("Replace the database?", question, "Load"), lambda: self._load(scenario))

    def _load(self, scenario: Scenario) -> None:
        self._events.say(f"Loading “{scenario.name}”…")
        self._feed.open(scenario)

    def crash(self) -> None:
        self.confirm(ConfirmScreen("Crash the coordinator?", crash_question(self._screen.board.unsettled()),
                                   "Crash it", "Leave it running"),
                     lambda: self.on_engine(crash_and_restart))
