"""The main screen: the orders, the selected order's steps and timeline, and every
operator action, each run on a worker thread so the UI never waits on the engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.events import Key, Resize
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from actors import (
    SAGA_PLAN,
    SagaEngine,
    Correction,
    CauseCheck,
    CauseUnresolved,
    DatabaseError,
    EngineRestarting,
    OrderRecord,
    OrderSummary,
    Refused,
    SagaStatus,
    Scenario,
    StepStatus,
    StorageFailed,
    must_be_correctable,
    order_sort_key,
    Supplies,
    cause_check,
    shortfall_remedy,
)
from app.amounts import as_dollars, parse_dollars, parse_units
from app.bulk import CANCEL, RETRY, BulkOutcome, Verb, act_on_each, id_list, orders, summary_line
from app.query import QueryError, parse_query
from app.dashboard.badge_audit import BadgeAudit
from app.dashboard.board import LIST_CAP, Announcement, History, OrderBoard, prepared_history
from app.dashboard.keys import KEY_BY_NAME, KEYS, PINNED
from app.dashboard.live import LiveUpdates
from app.dashboard.news import News
from app.dashboard.remedies import ORDER_ACTIONS, remedies
from app.dashboard.screens.amount_prompt import AmountPrompt, Field
from app.dashboard.screens.audit_findings import AuditFindingsScreen
from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.edit_prompt import EditPrompt
from app.dashboard.screens.help import HelpScreen
from app.dashboard.screens.trends import TrendsScreen
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.audit_badge import AuditBadge
from app.dashboard.widgets.event_line import EventLine, Severity
from app.dashboard.widgets.filter_bar import FilterBar
from app.dashboard.widgets.key_footer import KeyFooter
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import Timeline
from app.dashboard.widgets.top_bar import TopBar

REFRESH_INTERVAL_S = 0.1  # at most ten redraws a second, however many orders move
AUDIT_INTERVAL_S = 1.0  # the badge re-audits at most once a second while orders move
WIDE_LAYOUT_COLUMNS = 140  # from here the orders and the selected order sit side by side
FETCH_AGAIN_S = 0.5  # how soon a record unread during a coordinator restart is read again


def crash_and_restart(engine: SagaEngine) -> str:
    engine.restart_coordinator()
    return "The coordinator was killed and restarted; it recovered every order from storage."


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def cancel_question(record: OrderRecord) -> str:
    """What cancelling a held order undoes, step by step, before the operator says yes."""
    attempt = record.current_attempt
    done = [step.name for step in attempt.steps if step.status == StepStatus.SUCCEEDED] if attempt else []
    question = f"{record.order.id} is on hold with no step done. Cancelling"
    if done:
        undo = ", then ".join(step.compensate_label for step in reversed(SAGA_PLAN) if step.name in done)
        steps = f"{' and '.join(done)} step{'s' if len(done) > 1 else ''}"
        question = (f"{record.order.id} is on hold with its {steps} done. Cancelling undoes "
                    f"{'them' if len(done) > 1 else 'it'} ({undo})")
    return question + " and the order ends cancelled: it cannot be retried afterwards."


def top_up_suggestion(record: OrderRecord, supplies: Supplies | None) -> int:
    """What to pre-fill a top-up with: what the balance lacks of the order's total, as the
    balances last read say (selecting an order short of money reads them), else the total."""
    total = record.order.total_cents
    balance = supplies.balances.get(record.order.customer) if supplies is not None else None
    return total - balance if balance is not None and 0 <= balance < total else total


def retry_anyway_question(unresolved: CauseUnresolved, order: OrderSummary | None) -> str:
    """Why a retry now would likely fail again, before the operator says yes anyway."""
    check = unresolved.check
    customer = order.customer if order else "the customer"
    return (f"{unresolved.order_id}'s {check.step} failure is not resolved yet: {check.facts}, so a "
            f"retry now would likely fail again and send {customer} another notice.")


class MainScreen(Screen[None]):
    BINDINGS = [key.binding() for key in KEYS]

    class SuppliesRead(Message):
        """The stock and balances as the engine had them at `at` (monotonic), for the cause check."""

        def __init__(self, supplies: Supplies, at: float) -> None:
            super().__init__()
            self.supplies = supplies
            self.at = at

    class HistoryRead(Message):
        """Every order's summary, ranked, for the world the bridge follows."""

        def __init__(self, bridge: LiveUpdates, history: History) -> None:
            super().__init__()
            self.bridge = bridge
            self.history = history

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

    class BulkProgress(Message):
        """How far a bulk action got (a newer one replaces one not shown yet)."""

        def __init__(self, verb: Verb, done: int, total: int) -> None:
            super().__init__()
            self.verb = verb
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MainScreen.BulkProgress)

    class BulkDone(Message):
        """What became of every order of a bulk action."""

        def __init__(self, verb: Verb, outcome: BulkOutcome) -> None:
            super().__init__()
            self.verb = verb
            self.outcome = outcome

    class RetryUnresolved(Message):
        """A retry the engine did not start, because its failure's cause is not resolved yet."""

        def __init__(self, unresolved: CauseUnresolved) -> None:
            super().__init__()
            self.unresolved = unresolved

    def __init__(self, session: DashboardSession) -> None:
        super().__init__()
        self.session = session
        self.board = OrderBoard()
        self._scenario: Scenario | None = None
        self._bridge: LiveUpdates | None = None
        self._refresh_timer: Timer | None = None
        self._last_refresh = 0.0
        self._audit_timer: Timer | None = None
        self._audit: AuditBadge.Audited | None = None
        self._badge_audit = BadgeAudit()
        self._news = News()
        self._keys_state: tuple[object, ...] = ()
        self._supplies: Supplies | None = None
        self._supplies_at = 0.0
        self._filter_text = ""
        self._filter_due = False
        self._fetching: str | None = None  # the order whose record is being read, one at a time
        # The order the pane and the footer were last drawn for: when the list changes under
        # the cursor (a row leaves a filter, the list is rebuilt), the highlighted row's order
        # may change without the cursor moving, and so without a RowHighlighted.
        self._detail_for: str | None = None
        self._bulk_running: Verb | None = None  # one bulk action at a time

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
        self._show_detail()
        self._open_world(None)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE_LAYOUT_COLUMNS, "-wide")

    @property
    def orders(self) -> OrdersTable:
        return self.query_one(OrdersTable)

    # -- the world and its live updates ----------------------------------------------
    @work(thread=True, group="engine")
    def _open_world(self, scenario: Scenario | None) -> None:
        """Swap in scenario's world (when given), then follow the engine's updates."""
        if scenario is not None:
            try:
                self.session.replace(scenario)
            except DatabaseError as error:
                self.post_message(EventLine.Said(f"“{scenario.name}” was not loaded. {error}", "error"))
        bridge = LiveUpdates(self)

        fresh = self.session.fresh

        def follow(engine: SagaEngine) -> tuple[Scenario | None, list[OrderRecord]]:
            engine.subscribe(bridge)
            engine.on_storage_failure(bridge.stopped)
            # A world this session just wrote is the scenario's orders, each one news: all of
            # them whole. Otherwise the live ones, and the history's summaries behind them.
            return engine.scenario, engine.records() if fresh else engine.live_records()

        try:
            current, records = self.session.call(follow)
        except Refused as refusal:
            self.post_message(EventLine.Said(str(refusal), "error"))
            return
        except StorageFailed:
            return  # the bridge has posted it: the banner says so, what is on screen stays
        self.post_message(LiveUpdates.Opened(bridge, current, records, fresh))
        # The history fills in behind the live orders, without holding up the operator's actions.
        try:
            history = prepared_history(self.session.call(lambda engine: engine.summaries()))
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            return  # replaced or failed meanwhile: the new world reads its own, the banner says why
        self.post_message(self.HistoryRead(bridge, history))

    @on(LiveUpdates.Opened)
    def show_world(self, message: LiveUpdates.Opened) -> None:
        self._bridge = message.bridge
        self._scenario = message.scenario
        self._show_storage_failure(message.bridge.failure)
        self._supplies, self._supplies_at = None, time.monotonic()  # the old world's are no guide
        news = self.board.reset(message.records, announce_existing=message.fresh)
        self._news.clear()
        self.orders.rebuild()
        self.query_one(TopBar).show(self._scenario.name if self._scenario else None, self.board.tally())
        self.orders.move_cursor(row=0)
        self._show_detail()
        self._refresh()
        self._news.add(news)
        self._show_news()
        self._run_audit()

    @on(HistoryRead)
    def _show_history(self, message: HistoryRead) -> None:
        if message.bridge is not self._bridge:
            return  # the history of a world since replaced
        self.board.add_history(message.history)
        self.orders.rebuild()
        self._follow_selection()  # the first row may be another order now
        self._refresh()
        self._show_news()

    @on(LiveUpdates.Arrived)
    def schedule_refresh(self, message: LiveUpdates.Arrived) -> None:
        if message.bridge is not self._bridge or self._refresh_timer is not None:
            return
        wait = self._last_refresh + REFRESH_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self._refresh()
        else:
            self._refresh_timer = self.set_timer(wait, self._refresh)

    @on(LiveUpdates.Stopped)
    def _storage_stopped(self, message: LiveUpdates.Stopped) -> None:
        self._show_storage_failure(message.error)

    def _show_storage_failure(self, error: StorageFailed | None) -> None:
        """A banner that stays while the open world's storage has failed (a new world clears it)."""
        banner = self.query_one("#storage-failure", Static)
        banner.set_class(error is not None, "-shown")
        if error is not None:
            banner.update(f"⚠ Storage stopped: {error.cause}. Orders stay as last stored, and "
                          f"nothing acknowledged was lost. To resume them: {error.remedy}, "
                          "quit (q) and open the dashboard again.")

    def _refresh(self) -> None:
        """Show everything that arrived since the last refresh, in one pass."""
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        self._last_refresh = time.monotonic()
        records = self._bridge.take() if self._bridge else []
        changed, news = self.board.apply(records)
        self.board.forget_settled(keep=self.orders.selected_id)
        self.orders.refresh_orders(changed)
        self.query_one(TopBar).show(self._scenario.name if self._scenario else None,
                                    self.board.tally())
        if self.orders.selected_id in changed or self.orders.selected_id != self._detail_for:
            self._show_detail()
        elif changed:  # other orders took or gave back stock or money
            self._check_cause_again()
        self._update_keys()
        self._announce(news)
        if changed and self._audit_timer is None:
            self._audit_timer = self.set_timer(AUDIT_INTERVAL_S, self._audit_due)

    # -- the audit badge ----------------------------------------------------------------
    def _audit_due(self) -> None:
        self._audit_timer = None
        self._run_audit()

    @work(thread=True, group="audit")
    def _run_audit(self) -> None:
        """Audit the open database off the UI thread (what changed since the last pass, after
        the first); the badge shows how far the first pass got, then the verdict."""
        result = self._badge_audit.run(self.session, lambda done: self.post_message(AuditBadge.Progress(done)))
        if result is not None:
            self.post_message(result)

    @on(AuditBadge.Progress)
    def _show_audit_progress(self, progress: AuditBadge.Progress) -> None:
        self.query_one(AuditBadge).show_progress(progress.done)

    @on(AuditBadge.Audited)
    def _show_audit(self, result: AuditBadge.Audited) -> None:
        self._audit = result
        self.query_one(AuditBadge).show(result)

    def action_audit(self) -> None:
        self._dialog(AuditFindingsScreen(self._audit))

    # -- what just happened: the event line ------------------------------------------------
    def _announce(self, news: list[Announcement]) -> None:
        """Add news to the event line's summary (only ever one line, whatever arrives)."""
        if news:
            self._news.add(news)
            self._show_news()

    def _show_news(self) -> None:
        self.query_one(EventLine).show_news(self._news.line(), self.board.known_notifications())

    def _say(self, text: str, severity: Severity = "information") -> None:
        self.query_one(EventLine).say(text, severity)

    @on(EventLine.Said)
    def _said(self, message: EventLine.Said) -> None:
        self._say(message.text, message.severity)

    # -- the selected order -----------------------------------------------------------
    @property
    def _current(self) -> OrderRecord | None:
        """The selected order's record, if an order is selected."""
        return self.board.records.get(self.orders.selected_id or "")

    def _follow_selection(self) -> None:
        """Draw the pane and the footer for the highlighted row's order if they show another."""
        if self.orders.selected_id != self._detail_for:
            self._show_detail()

    @on(DataTable.RowHighlighted, "#orders")
    def _show_detail(self) -> None:
        selected = self.orders.selected_id
        self._detail_for = selected
        self.board.forget_settled(keep=selected)
        if selected is not None and self._current is None:
            self.query_one(StepStrip).show_loading(self.board.summaries[selected])
            self.query_one(Timeline).show_loading(selected)
            self._update_keys()
            if self._fetching is None:  # else the selection then is read once that read answers
                self._fetching = selected
                self._fetch(selected)
            return
        self._show_situation()
        self.query_one(Timeline).show(self._current)
        self._check_cause_again()

    @work(thread=True, group="fetch", exclusive=True)
    def _fetch(self, order_id: str) -> None:
        """Read an archived order's record for the order pane and the timeline; always answer,
        so the next selection's read can start."""
        bridge = self._bridge
        try:
            record = self.session.call(lambda engine: engine.find(order_id))
        except EngineRestarting:
            self.post_message(self.RecordFetched(bridge, order_id, None, (
                f"The coordinator is restarting; {order_id} is read again in a moment."), again=True))
        except (DatabaseError, Refused) as error:  # a damaged archive line, a failed storage, no database
            self.post_message(self.RecordFetched(bridge, order_id, None, f"{order_id} could not be read: {error}"))
        else:
            unread = "" if record else f"{order_id} is not in the database any more."
            self.post_message(self.RecordFetched(bridge, order_id, record, unread))

    @on(RecordFetched)
    def _fetched(self, message: RecordFetched) -> None:
        self._fetching = None
        order_id = message.order_id
        if message.bridge is not self._bridge or order_id != self.orders.selected_id:
            if self.orders.selected_id is not None and self._current is None:
                self._show_detail()  # the order selected since is read now
            return
        if message.record is not None:
            self.board.adopt(message.record)
            self._show_detail()
            return
        self.query_one(StepStrip).show_loading(self.board.summaries[order_id], message.unread)
        self.query_one(Timeline).show_loading(order_id, unread=True)
        if message.again:
            self.set_timer(FETCH_AGAIN_S, self._show_detail)
        else:
            self._say(message.unread, "error")

    def _show_situation(self) -> None:
        """The order pane and the footer, as the selected order and the last supplies read say.

        A selected order whose record is still being read (or could not be) keeps what its
        pane says about that: only the footer follows."""
        if self.orders.selected_id is not None and self._current is None:
            self._update_keys()
            return
        if self.board.summaries:
            hint = "No order matches the filter."
        else:
            hint = "No orders in this database. Press l to load a scenario."
        self.query_one(StepStrip).show(self._current, hint, self._cause_check())
        self._update_keys()

    # -- whether the selected order's failure looks resolved ------------------------------
    def _cause_check(self) -> CauseCheck | None:
        record = self._current
        return cause_check(record, self._supplies) if record and self._supplies else None

    def _check_cause_again(self) -> None:
        """Read the stock and balances afresh if the order pane judges the selected order's cause."""
        record = self._current
        if record is not None and shortfall_remedy(record) is not None:
            self._read_supplies_in_worker()

    @work(thread=True, group="supplies")
    def _read_supplies_in_worker(self) -> None:
        self._read_supplies()

    def _read_supplies(self) -> None:
        """On a worker thread: post the stock and balances, stamped in the order they were read."""
        try:
            supplies, at = self.session.call(lambda engine: (engine.supplies(), time.monotonic()))
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            return  # no database, a failed one (the banner says so), or a restart: the pane keeps its last
        self.post_message(self.SuppliesRead(supplies, at))

    @on(SuppliesRead)
    def _supplies_read(self, message: SuppliesRead) -> None:
        if message.at < self._supplies_at:
            return  # read before the supplies already shown
        self._supplies, self._supplies_at = message.supplies, message.at
        self._show_situation()

    def _selected(self) -> OrderRecord | None:
        record = self._current
        if record is None:
            selected = self.orders.selected_id
            self._say(f"{selected} is still loading; press the key again in a moment." if selected
                      else "Select an order first.", "warning")
        return record

    # -- which keys the footer shows ----------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show in the footer only the keys that can help now (remedies() of the selected
        order); a hidden key pressed anyway still answers, see on_key."""
        if action in ORDER_ACTIONS:
            return action in remedies(self._current, self._cause_check())
        if action == "next_failed":
            return self._anything_to_fix()
        if action == "bulk_retry":
            return bool(self.orders.marked or self.orders.filter_query)
        return True

    def _anything_to_fix(self) -> bool:
        return self.board.needing_attention() > 0

    def _update_keys(self) -> None:
        """Redraw the footer when what it would show has changed, and only then."""
        state = (remedies(self._current, self._cause_check()), self._anything_to_fix(),
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

    # -- operator actions ---------------------------------------------------------------
    def _dialog(self, screen: Screen[Any], callback: Callable[[Any], None] | None = None) -> None:
        self.app.push_screen(screen, callback)

    def _confirm(self, screen: ConfirmScreen, then: Callable[[], object]) -> None:
        """Run then only if the operator answers yes."""
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self._dialog(screen, answered)

    @work(thread=True, group="engine")
    def _on_engine(self, call: Callable[[SagaEngine], str]) -> None:
        """Run one operator action; the engine's answer or refusal goes to the event line."""
        try:
            message = self.session.call(call)
        except CauseUnresolved as unresolved:
            self.post_message(self.RetryUnresolved(unresolved))
        except Refused as refusal:
            self.post_message(EventLine.Said(f"Refused: {refusal}", "warning"))
        except StorageFailed as error:
            self.post_message(EventLine.Said(f"Not done: {error}", "error"))
        except EngineRestarting:
            # The scenario's crash fault restarts the coordinator on its own thread.
            self.post_message(EventLine.Said(
                "The coordinator is restarting after a crash; try again in a moment.", "warning"))
        else:
            self.post_message(EventLine.Said(message))
            self._read_supplies()  # a top-up or restock may have resolved the selected order's cause

    def action_retry(self) -> None:
        if record := self._selected():
            order_id = record.order.id
            self._on_engine(lambda engine: engine.retry(order_id))

    def action_edit(self) -> None:
        """Correct the selected order in a form that checks as typed; saving sends it."""
        record = self._selected()
        if record is None:
            return
        try:
            must_be_correctable(record)
        except Refused as refusal:
            self._say(f"Refused: {refusal}", "warning")
            return

        def save(change: Correction | None) -> None:
            if change is not None:
                self._on_engine(lambda engine: engine.edit(change))

        self._dialog(EditPrompt(record), save)

    @on(RetryUnresolved)
    def _ask_retry_anyway(self, message: RetryUnresolved) -> None:
        order_id = message.unresolved.order_id
        question = retry_anyway_question(message.unresolved, self.board.summaries.get(order_id))
        self._confirm(ConfirmScreen("Retry anyway?", question, "Retry anyway", "Not now"),
                      lambda: self._on_engine(lambda engine: engine.retry(order_id, force=True)))

    def action_cancel(self) -> None:
        record = self._selected()
        if record is None:
            return
        order_id = record.order.id

        def cancel() -> None:
            self._on_engine(lambda engine: engine.cancel(order_id))

        if record.status != SagaStatus.ON_HOLD:
            cancel()  # nothing to lose: the engine refuses and says why
            return
        self._confirm(ConfirmScreen(f"Cancel {order_id}?", cancel_question(record), f"Cancel {order_id}",
                                    "Keep it on hold"), cancel)

    def action_top_up(self) -> None:
        record = self._selected()
        if record is None:
            return
        customer = record.order.customer
        field = Field("Amount in dollars and cents, e.g. 25.00",
                      as_dollars(top_up_suggestion(record, self._supplies)), parse_dollars)

        def top_up(values: list[int] | None) -> None:
            if values:
                self._on_engine(lambda engine: engine.top_up(customer, values[0]))

        self._dialog(AmountPrompt(f"Top up {customer}", [field], "top up"), top_up)

    def action_restock(self) -> None:
        record = self._selected()
        if record is None:
            return
        wanted = record.order.units_by_sku()
        skus = list(wanted)
        fields = [Field(f"Units of {sku} to add (whole number)", str(wanted[sku]), parse_units)
                  for sku in skus]

        def restock(values: list[int] | None) -> None:
            if values:
                self._on_engine(lambda engine: " ".join(
                    engine.restock(sku, units) for sku, units in zip(skus, values)))

        title = f"Restock the items of {record.order.id}"
        self._dialog(AmountPrompt(title, fields, "restock"), restock)

    # -- many orders at once: space marks, R and C act ------------------------------------
    def action_mark(self) -> None:
        """Mark the selected order (or unmark it) and go to the next row."""
        order_id = self.orders.selected_id
        if order_id is None:
            self._say("Select an order first.", "warning")
            return
        marked = self.orders.marked
        if order_id in marked:
            marked.discard(order_id)
        else:
            marked.add(order_id)
        self.orders.refresh_marks({order_id})
        self.orders.action_cursor_down()
        self._update_keys()
        self._say(f"{orders(len(marked))} marked: R retries them, C cancels them (space unmarks)."
                  if marked else "No order marked: R and C act on every order the filter matches.")

    def action_bulk_retry(self) -> None:
        self._ask_bulk(RETRY)

    def action_bulk_cancel(self) -> None:
        self._ask_bulk(CANCEL)

    def _ask_bulk(self, verb: Verb) -> None:
        """Say how many orders and which, then act on each as its single key would."""
        if self._bulk_running is not None:
            self._say(f"Still {self._bulk_running.doing} the orders of the last {self._bulk_running.name}; "
                      "its summary comes here once it is done.", "warning")
            return
        marked = self.orders.marked & set(self.board.summaries)
        query = self.orders.filter_query
        if marked:
            ids, which = sorted(marked, key=order_sort_key), "marked"
        elif query:
            ids, which = sorted(self.board.matching(query), key=order_sort_key), f"matching “{query.text}”"
        else:
            self._say(f"Mark orders with space, or filter them with /: {verb.name[0].upper()} acts on "
                      "those.", "warning")
            return
        if not ids:
            self._say(f"No order matches “{query.text}”; nothing to {verb.name}.", "warning")
            return
        check = " (one whose shortfall is not resolved yet is left as it is)" if verb is RETRY else ""
        question = (f"{verb.name.capitalize()} the {orders(len(ids))} {which}: {id_list(ids)}? Each "
                    f"is {verb.past} as {verb.name[0]} would {verb.name} it{check}; the line above the "
                    "keys shows how far it got, then what became of them.")
        self._confirm(ConfirmScreen(f"{verb.name.capitalize()} {orders(len(ids))}?", question,
                                    f"{verb.name.capitalize()} {len(ids):,}", "Not now"),
                      lambda: self._start_bulk(verb, ids))

    def _start_bulk(self, verb: Verb, ids: list[str]) -> None:
        self._bulk_running = verb
        self.orders.marked.clear()
        self.orders.refresh_marks(set(ids))
        self._update_keys()
        self._say(f"{verb.doing.capitalize()} {orders(len(ids))}…")
        self._run_bulk(verb, ids)

    @work(thread=True, group="bulk")
    def _run_bulk(self, verb: Verb, ids: list[str]) -> None:
        """Act on each order in turn, off the UI thread; the event line follows."""
        def act(order_id: str) -> str:
            if verb is RETRY:
                return self.session.call(lambda engine: engine.retry(order_id))
            return self.session.call(lambda engine: engine.cancel(order_id))

        outcome = act_on_each(ids, act, lambda done, total: self.post_message(self.BulkProgress(verb, done, total)))
        self.post_message(self.BulkDone(verb, outcome))

    @on(BulkProgress)
    def _bulk_progress(self, message: BulkProgress) -> None:
        if self._bulk_running is not None:
            self._say(f"{message.verb.doing.capitalize()} {message.done:,}/{message.total:,} orders…")

    @on(BulkDone)
    def _bulk_done(self, message: BulkDone) -> None:
        self._bulk_running = None
        self._say(summary_line(message.verb, message.outcome),
                  "information" if message.outcome.clean else "warning")
        self._read_supplies_in_worker()

    def action_load(self) -> None:
        self._dialog(ScenarioPicker(self.session.db), self._confirm_load)

    def _confirm_load(self, scenario: Scenario | None) -> None:
        if scenario is None:
            return
        orders, in_flight = len(self.board.summaries), self.board.unsettled()
        if self._scenario is None and not orders:
            self._load(scenario)  # an empty database: nothing to lose
            return
        question = (f"Loading “{scenario.name}” replaces everything in {self.session.db}: "
                    f"{plural(orders, 'order')} with their history, the stock and the accounts.")
        if in_flight:
            verb = "is" if in_flight == 1 else "are"
            question += (f" {plural(in_flight, 'order')} {verb} still in flight and {verb} dropped "
                         "without finishing or compensating.")
        self._confirm(ConfirmScreen("Replace the database?", question, "Load"),
                      lambda: self._load(scenario))

    def _load(self, scenario: Scenario) -> None:
        self._say(f"Loading “{scenario.name}”…")
        self._open_world(scenario)

    def action_crash(self) -> None:
        in_flight = self.board.unsettled()
        question = ("The coordinator is killed at once and restarted: it recovers every order "
                    "from storage and asks again where an answer was pending"
                    f" ({plural(in_flight, 'order')} in flight now).")
        self._confirm(ConfirmScreen("Crash the coordinator?", question, "Crash it", "Leave it running"),
                      lambda: self._on_engine(crash_and_restart))

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
            self._say(str(error), "warning")
            return
        if self.orders.filter_query != query:
            self.orders.filter_query = query
            self.orders.rebuild()
            self._show_detail()

    @on(Input.Submitted, "#filter")
    def _keep_filter(self, event: Input.Submitted) -> None:
        self.query_one(FilterBar).display = bool(event.value)
        self.orders.focus()

    def action_sort(self) -> None:
        self.orders.next_sort()
        self._follow_selection()

    def action_reverse_sort(self) -> None:
        self.orders.reverse_sort()
        self._follow_selection()

    def action_next_failed(self) -> None:
        """Select the next order that is failed or on hold: below the cursor, then any the
        filter matches that is not listed (listing it), then round to the top."""
        orders = self.orders
        order_id = self.board.next_needing_attention(orders.selected_id, orders.own_rows(), orders.filter_query)
        if order_id is not None:
            self.orders.select(order_id)
            self._follow_selection()  # listing it may have left the cursor's row where it was
            return
        among = "among the orders shown" if self.orders.filter_text else "now"
        self._say(f"No order is failed or on hold {among}.")

    def action_notifications(self) -> None:
        """List the notifications (read on a worker); the event line's summary starts again from here."""
        latest = self.board.latest(LIST_CAP)
        screen = NotificationsScreen()
        self._dialog(screen)
        self._read_notifications(screen, latest, complete=len(latest) == len(self.board.summaries))
        self._news.clear()
        self._show_news()

    @work(thread=True, group="notifications")
    def _read_notifications(self, screen: NotificationsScreen, order_ids: list[str], complete: bool) -> None:
        def read(engine: SagaEngine) -> list[OrderRecord]:
            return [record for order_id in order_ids if (record := engine.find(order_id)) is not None]

        try:
            records = self.session.call(read)
        except (Refused, StorageFailed) as error:  # EngineRestarting is a refusal
            self.post_message(EventLine.Said(f"The notifications could not be read: {error}", "warning"))
            return
        notices = [Announcement(r.order.id, n) for r in records for n in r.notifications]
        notices.sort(key=lambda a: (a.notification.at, order_sort_key(a.order)))
        screen.post_message(NotificationsScreen.Read(notices, complete))  # dropped if it is closed

    def action_help(self) -> None:
        self._dialog(HelpScreen(self.session.db))

    def action_trends(self) -> None:
        self._dialog(TrendsScreen(self.session))

    def action_quit(self) -> None:
        """Say so at once, then close: taking the screen down takes a moment of its own."""
        self._say("Closing…")
        self.call_after_refresh(self.app.exit)
