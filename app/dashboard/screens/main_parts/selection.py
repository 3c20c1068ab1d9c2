"""The selected order: its pane and timeline, its record read when the board holds only its
summary (an archived order; one read at a time), and the stock and balances that judge
whether its failure's cause is resolved."""

from __future__ import annotations

import time
from functools import partial

from textual.message import Message

from actors import (CauseCheck, DatabaseError, EngineRestarting, OrderRecord, Refused, StorageFailed, Supplies,
                    cause_check, shortfall_remedy)
from app.dashboard.live import LiveUpdates
from app.dashboard.screens.main_parts.events import Events
from app.dashboard.screens.main_parts.feed import WorldFeed
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import Timeline


FETCH_AGAIN_S = 0.5  # how soon a record unread during a coordinator restart is read again


class Selection:
    class RecordFetched(Message):
        """What reading the full record of an order selected while the board had only its
        summary gave, in the world the bridge follows: the record, or why it was not read
        (again: the engine is restarting, so read it again in a moment)."""

        def __init__(self, bridge: LiveUpdates | None, order_id: str, record: OrderRecord | None,
                     unread: str = "", again: bool = False) -> None:
            super().__init__()
            self.bridge = bridge
            self.order_id = order_id
            self.record = record
            self.unread = unread
            self.again = again

    class SuppliesRead(Message):
        """The stock and balances as the engine had them at `at` (monotonic), for the cause check."""

        def __init__(self, supplies: Supplies, at: float) -> None:
            super().__init__()
            self.supplies = supplies
            self.at = at

    def __init__(self, screen: PartsHost, feed: WorldFeed, events: Events) -> None:
        self._screen = screen
        self._feed = feed
        self._events = events
        self.supplies: Supplies | None = None
        self._supplies_at = 0.0
        self._fetching: str | None = None  # the order whose record is being read, one at a time
        # The order the pane and the footer were last drawn for: when the list changes under
        # the cursor (a row leaves a filter, the list is rebuilt), the highlighted row's order
        # may change without the cursor moving, and so without a RowHighlighted.
        self._detail_for: str | None = None

    @property
    def current(self) -> OrderRecord | None:
        """The selected order's record, if an order is selected."""
        return self._screen.board.records.get(self._screen.orders.selected_id or "")

    def new_world(self) -> None:
        self.supplies, self._supplies_at = None, time.monotonic()  # the old world's are no guide

    def is_shown(self) -> bool:
        """Whether the pane and the footer show the highlighted row's order."""
        return self._screen.orders.selected_id == self._detail_for

    def follow(self) -> None:
        """Draw the pane and the footer for the highlighted row's order if they show another."""
        if not self.is_shown():
            self.show()

    def show(self) -> None:
        screen = self._screen
        selected = screen.orders.selected_id
        self._detail_for = selected
        screen.board.forget_settled(keep=selected)
        if selected is not None and self.current is None:
            screen.query_one(StepStrip).show_loading(screen.board.summaries[selected])
            screen.query_one(Timeline).show_loading(selected)
            screen.update_keys()
            if self._fetching is None:  # else the selection then is read once that read answers
                self._fetching = selected
                screen.run_worker(partial(self._fetch, selected), thread=True, group="fetch", exclusive=True)
            return
        self.show_situation()
        screen.query_one(Timeline).show(self.current)
        self.check_cause_again()

    def _fetch(self, order_id: str) -> None:
        """Read an archived order's record for the order pane and the timeline; always answer,
        so the next selection's read can start."""
        screen = self._screen
        bridge = self._feed.bridge
        try:
            record = screen.session.call(lambda engine: engine.find(order_id))
        except EngineRestarting:
            screen.post_message(self.RecordFetched(bridge, order_id, None, (
                f"The coordinator is restarting; {order_id} is read again in a moment."), again=True))
        except (DatabaseError, Refused) as error:  # a damaged archive line, a failed storage, no database
            screen.post_message(self.RecordFetched(bridge, order_id, None, f"{order_id} could not be read: {error}"))
        else:
            unread = "" if record else f"{order_id} is not in the database any more."
            screen.post_message(self.RecordFetched(bridge, order_id, record, unread))

    def fetched(self, message: RecordFetched) -> None:
        screen = self._screen
        self._fetching = None
        order_id = message.order_id
        if not self._feed.follows(message.bridge) or order_id != screen.orders.selected_id:
            if screen.orders.selected_id is not None and self.current is None:
                self.show()  # the order selected since is read now
            return
        if message.record is not None:
            screen.board.adopt(message.record)
            self.show()
            return
        screen.query_one(StepStrip).show_loading(screen.board.summaries[order_id], message.unread)
        screen.query_one(Timeline).show_loading(order_id, unread=True)
        if message.again:
            screen.set_timer(FETCH_AGAIN_S, self.show)
        else:
            self._events.say(message.unread, "error")

    def show_situation(self) -> None:
        """The order pane and the footer, as the selected order and the last supplies read say.

        A selected order whose record is still being read (or could not be) keeps what its
        pane says about that: only the footer follows."""
        screen = self._screen
        if screen.orders.selected_id is not None and self.current is None:
            screen.update_keys()
            return
        if screen.board.summaries:
            hint = "No order matches the filter."
        else:
            hint = "No orders in this database. Press l to load a scenario."
        screen.query_one(StepStrip).show(self.current, hint, self.cause_check())
        screen.update_keys()

    def selected(self) -> OrderRecord | None:
        """The selected order's record, or a word on the event line saying why there is none."""
        record = self.current
        if record is None:
            selected = self._screen.orders.selected_id
            self._events.say(f"{selected} is still loading; press the key again in a moment." if selected
                                    else "Select an order first.", "warning")
        return record

    # -- whether the selected order's failure looks resolved ------------------------------
    def cause_check(self) -> CauseCheck | None:
        record = self.current
        return cause_check(record, self.supplies) if record and self.supplies else None

    def check_cause_again(self) -> None:
        """Read the stock and balances afresh if the order pane judges the selected order's cause."""
        record = self.current
        if record is not None and shortfall_remedy(record) is not None:
            self.read_supplies_in_worker()

    def read_supplies_in_worker(self) -> None:
        self._screen.run_worker(self.read_supplies, thread=True, group="supplies")

    def read_supplies(self) -> None:
        """On a worker thread: post the stock and balances, stamped in the order they were read."""
        try:
            supplies, at = self._screen.session.call(lambda engine: (engine.supplies(), time.monotonic()))
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            return  # no database, a failed one (the banner says so), or a restart: the pane keeps its last
        self._screen.post_message(self.SuppliesRead(supplies, at))

    def supplies_read(self, message: SuppliesRead) -> None:
        if message.at < self._supplies_at:
            return  # read before the supplies already shown
        self.supplies, self._supplies_at = message.supplies, message.at
        self.show_situation()
