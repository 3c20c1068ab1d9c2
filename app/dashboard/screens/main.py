"""The main screen: the orders, the selected order's steps and timeline, and every
operator action. The screen composes the widgets and wires messages and keys to the parts
that own each concern (screens/main_parts/); every engine call runs on a worker thread
so the UI never waits on the engine."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.events import Key, Resize
from textual.widgets import DataTable, Input, Static

from app.dashboard.keys import KEY_BY_NAME, KEYS, PINNED
from app.dashboard.live import LiveUpdates
from app.dashboard.remedies import ORDER_ACTIONS, remedies
from app.dashboard.screens.audit_findings import AuditFindingsScreen
from app.dashboard.screens.help import HelpScreen
from app.dashboard.screens.main_parts.actions import OperatorActions
from app.dashboard.screens.main_parts.audit_schedule import AuditSchedule
from app.dashboard.screens.main_parts.bulk_actions import BulkActions
from app.dashboard.screens.main_parts.events import Events
from app.dashboard.screens.main_parts.feed import WorldFeed
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.screens.main_parts.roster import WorkerRoster
from app.dashboard.screens.main_parts.selection import Selection
from app.dashboard.screens.trends import TrendsScreen
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.audit_badge import AuditBadge
from app.dashboard.widgets.event_line import EventLine
from app.dashboard.widgets.filter_bar import FilterBar
from app.dashboard.widgets.key_footer import KeyFooter
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import Timeline
from app.dashboard.widgets.top_bar import TopBar
from app.query import QueryError, parse_query

WIDE_LAYOUT_COLUMNS = 140  # from here the orders and the selected order sit side by side


class MainScreen(PartsHost):
    BINDINGS = [key.binding() for key in KEYS]

    def __init__(self, session: DashboardSession) -> None:
        super().__init__(session)
        self.feed = WorldFeed(self, self._refresh)
        self.events = Events(self)
        self.selection = Selection(self, self.feed, self.events)
        self.audit_schedule = AuditSchedule(self)
        self.roster = WorkerRoster(self)
        self.actions = OperatorActions(self, self.feed, self.selection, self.events)
        self.bulk = BulkActions(self, self.selection, self.actions, self.events)
        self._keys_state: tuple[object, ...] = ()
        self._filter_text = ""
        self._filter_due = False

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield Static(id="storage-failure", markup=False)
        with Container(id="body"):
            yield OrdersTable(self.board, id="orders")
            with Vertical(id="detail"):
                yield StepStrip(id="steps")
                yield Timeline(id="timeline")
        yield FilterBar(id="filter")
        yield EventLine(id="events")
        yield KeyFooter(PINNED)

    def on_mount(self) -> None:
        self.query_one(FilterBar).display = False
        self.selection.show()
        self.feed.open(None)
        self.roster.start()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE_LAYOUT_COLUMNS, "-wide")

    # -- the world and its live updates (main_parts/feed.py) ---------------------------------
    @on(LiveUpdates.Opened)
    def show_world(self, message: LiveUpdates.Opened) -> None:
        self.feed.opened(message)
        self.selection.new_world()
        news = self.board.reset(message.records, announce_existing=message.fresh)
        self.events.clear()
        self.orders.rebuild()
        self._show_tally()
        self.orders.move_cursor(row=0)
        self.selection.show()
        self._refresh()
        self.events.add(news)
        self.events.show_news()
        self.audit_schedule.run()

    @on(WorldFeed.HistoryRead)
    def _show_history(self, message: WorldFeed.HistoryRead) -> None:
        if not self.feed.follows(message.bridge):
            return  # the history of a world since replaced
        self.board.add_history(message.history)
        self.orders.rebuild()
        self.selection.follow()  # the first row may be another order now
        self._refresh()
        self.events.show_news()

    @on(LiveUpdates.Arrived)
    def schedule_refresh(self, message: LiveUpdates.Arrived) -> None:
        self.feed.arrived(message)

    @on(WorldFeed.WorldReplaced)
    def _world_replaced(self, message: WorldFeed.WorldReplaced) -> None:
        if self.feed.replaced(message):
            self.audit_schedule.world_replaced()

    @on(WorkerRoster.WorkersRead)
    def _workers_read(self, message: WorkerRoster.WorkersRead) -> None:
        self.roster.read(message)
        self._show_tally()

    @on(LiveUpdates.Stopped)
    def _storage_stopped(self, message: LiveUpdates.Stopped) -> None:
        self.feed.show_storage_failure(message.error)

    def _refresh(self) -> None:
        """Show everything that arrived since the last refresh, in one pass."""
        changed, news = self.board.apply(*self.feed.take())
        self.board.forget_settled(keep=self.orders.selected_id)
        self.orders.refresh_orders(changed)
        self._show_tally()
        if self.orders.selected_id in changed or not self.selection.is_shown():
            self.selection.show()
        elif changed:  # other orders took or gave back stock or money
            self.selection.check_cause_again()
        self.update_keys()
        self.events.announce(news)
        if changed:
            self.audit_schedule.changed()

    def _show_tally(self) -> None:
        scenario = self.feed.scenario
        self.query_one(TopBar).show(scenario.name if scenario else None, self.board.tally(), self.board.workers)

    # -- the parts' messages ------------------------------------------------------------
    @on(AuditBadge.Progress)
    def _show_audit_progress(self, progress: AuditBadge.Progress) -> None:
        self.audit_schedule.progress(progress)

    @on(AuditBadge.Audited)
    def _show_audit(self, result: AuditBadge.Audited) -> None:
        self.audit_schedule.audited(result)

    @on(EventLine.Said)
    def _said(self, message: EventLine.Said) -> None:
        self.events.say(message.text, message.severity)

    @on(DataTable.RowHighlighted, "#orders")
    def _show_detail(self) -> None:
        self.selection.show()

    @on(Selection.RecordFetched)
    def _fetched(self, message: Selection.RecordFetched) -> None:
        self.selection.fetched(message)

    @on(Selection.SuppliesRead)
    def _supplies_read(self, message: Selection.SuppliesRead) -> None:
        self.selection.supplies_read(message)

    @on(OperatorActions.RetryUnresolved)
    def _ask_retry_anyway(self, message: OperatorActions.RetryUnresolved) -> None:
        self.actions.ask_retry_anyway(message)

    @on(BulkActions.BulkProgress)
    def _bulk_progress(self, message: BulkActions.BulkProgress) -> None:
        self.bulk.progress(message)

    @on(BulkActions.BulkDone)
    def _bulk_done(self, message: BulkActions.BulkDone) -> None:
        self.bulk.done(message)

    # -- which keys the footer shows ----------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show in the footer only the keys that can help now (remedies() of the selected
        order); a hidden key pressed anyway still answers, see on_key."""
        if action in ORDER_ACTIONS:
            return action in remedies(self.selection.current, self.selection.cause_check())
        if action == "next_failed":
            return self._anything_to_fix()
        if action == "bulk_retry":
            return bool(self.orders.marked or self.orders.filter_query)
        return True

    def _anything_to_fix(self) -> bool:
        return self.board.needing_attention() > 0

    def update_keys(self) -> None:
        """Redraw the footer when what it would show has changed, and only then."""
        state = (remedies(self.selection.current, self.selection.cause_check()), self._anything_to_fix(),
                 bool(self.orders.marked or self.orders.filter_query))
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def on_key(self, event: Key) -> None:
        """Keys reach the screen before its bindings run: a key the footer hides (it
        cannot help the selected order) runs anyway, so its refusal says why.

        Keys typed with the `/` (quickly, or pasted) reach the screen before the binding
        opens the filter: so `/` opens it here, at once, and what follows is the filter's text,
        not keys for the orders."""
        bar = self.query_one(FilterBar)
        if event.key == "slash" and self.focused is not bar:
            event.stop()
            event.prevent_default()
            self.action_filter()
            return
        if self.focused is bar and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            bar.insert_text_at_cursor(event.character)
            return
        key = KEY_BY_NAME.get(event.key)
        if key is not None and self.check_action(key.action, ()) is False:
            event.stop()
            getattr(self, f"action_{key.action}")()

    # -- the keys' actions ----------------------------------------------------------------
    def action_retry(self) -> None:
        self.actions.retry()

    def action_edit(self) -> None:
        self.actions.edit()

    def action_cancel(self) -> None:
        self.actions.cancel()

    def action_top_up(self) -> None:
        self.actions.top_up()

    def action_restock(self) -> None:
        self.actions.restock()

    def action_load(self) -> None:
        self.actions.load()

    def action_crash(self) -> None:
        self.actions.crash()

    def action_mark(self) -> None:
        self.bulk.mark()

    def action_bulk_retry(self) -> None:
        self.bulk.retry()

    def action_bulk_cancel(self) -> None:
        self.bulk.cancel()

    def action_notifications(self) -> None:
        self.events.list_notifications()

    def action_audit(self) -> None:
        self.app.push_screen(AuditFindingsScreen(self.audit_schedule.verdict))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.session.shown))

    def action_trends(self) -> None:
        self.app.push_screen(TrendsScreen(self.session))

    def action_quit(self) -> None:
        """Say so at once, then close: taking the screen down takes a moment of its own."""
        self.events.say("Closing…")
        self.call_after_refresh(self.app.exit)

    # -- filter and sort --------------------------------------------------------------------
    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        """Filter once the typed text is on screen: the echo never waits for the list, and
        keys typed meanwhile are filtered for together."""
        self._filter_text = event.value
        if not self._filter_due:
            self._filter_due = True
            self.call_after_refresh(self._apply_filter)

    def _apply_filter(self) -> None:
        """List what the query means; one it cannot read says why and leaves the list as it was."""
        self._filter_due = False
        try:
            query = parse_query(self._filter_text)
        except QueryError as error:
            self.events.say(str(error), "warning")
            return
        if self.orders.filter_query != query:
            self.orders.filter_query = query
            self.orders.rebuild()
            self.selection.show()

    @on(Input.Submitted, "#filter")
    def _keep_filter(self, event: Input.Submitted) -> None:
        self.query_one(FilterBar).display = bool(event.value)
        self.orders.focus()

    def action_sort(self) -> None:
        self.orders.next_sort()
        self.selection.follow()

    def action_reverse_sort(self) -> None:
        self.orders.reverse_sort()
        self.selection.follow()

    def action_next_failed(self) -> None:
        """Select the next order that is failed or on hold: below the cursor, then any the
        filter matches that is not listed (listing it), then round to the top."""
        orders = self.orders
        order_id = self.board.next_needing_attention(orders.selected_id, orders.own_rows(), orders.filter_query)
        if order_id is not None:
            orders.select(order_id)
            self.selection.follow()  # listing it may have left the cursor's row where it was
            return
        among = "among the orders shown" if orders.filter_text else "now"
        self.events.say(f"No order is failed or on hold {among}.")
