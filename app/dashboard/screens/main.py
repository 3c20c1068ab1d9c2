"""The main screen: the orders, the selected order's steps and timeline, and every
operator action, each run on a worker thread so the UI never waits on the engine."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pykka
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from actors.domain import NotificationKind, OrderRecord, Scenario
from actors.engine import Engine
from actors.saga_logic import Refused
from app.audit import AuditError, audit
from app.amounts import as_dollars, parse_dollars, parse_units
from app.dashboard.board import Announcement, OrderBoard, units_by_sku
from app.dashboard.keys import KEYS
from app.dashboard.live import LiveUpdates
from app.dashboard.screens.amount_prompt import AmountPrompt, Field
from app.dashboard.screens.audit_findings import AuditFindingsScreen
from app.dashboard.screens.confirm import ConfirmScreen
from app.dashboard.screens.help import HelpScreen
from app.dashboard.screens.notifications import NotificationsScreen
from app.dashboard.screens.scenario_picker import ScenarioPicker
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.audit_badge import AuditBadge
from app.dashboard.widgets.filter_bar import FilterBar
from app.dashboard.widgets.orders_table import OrdersTable
from app.dashboard.widgets.step_strip import StepStrip
from app.dashboard.widgets.timeline import Timeline
from app.dashboard.widgets.top_bar import TopBar
from storage.errors import DatabaseError, StorageFailed

REFRESH_INTERVAL_S = 0.1  # at most ten redraws a second, however many orders move
AUDIT_INTERVAL_S = 1.0  # the badge re-audits at most once a second while orders move
MAX_TOASTS = 3  # more news at once becomes one summary toast
WIDE_LAYOUT_COLUMNS = 140  # from here the orders and the selected order sit side by side
SEVERITY = {NotificationKind.CONFIRMATION: "information", NotificationKind.FAILURE: "error",
            NotificationKind.ON_HOLD: "warning"}


def crash_and_restart(engine: Engine) -> str:
    engine.restart_coordinator()
    return "The coordinator was killed and restarted; it recovered every order from storage."


class MainScreen(Screen[None]):
    BINDINGS = [key.binding() for key in KEYS]

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

    def compose(self) -> ComposeResult:
        yield TopBar()
        yield Static(id="storage-failure", markup=False)
        with Container(id="body"):
            yield OrdersTable(self.board, id="orders")
            with Vertical(id="detail"):
                yield StepStrip(id="steps")
                yield Timeline(id="timeline")
        yield FilterBar(id="filter")
        yield Footer(compact=True, show_command_palette=False)

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
                self.app.notify(f"“{scenario.name}” was not loaded. {error}", severity="error",
                                markup=False)
        bridge = LiveUpdates(self)

        def follow(engine: Engine) -> tuple[Scenario | None, list[OrderRecord]]:
            engine.subscribe(bridge)
            engine.on_storage_failure(bridge.stopped)
            return engine.scenario, engine.records()

        try:
            current, records = self.session.call(follow)
        except Refused as refusal:
            self.app.notify(str(refusal), severity="error", markup=False)
            return
        except StorageFailed:
            return  # the bridge has posted it: the banner says so, what is on screen stays
        self.post_message(LiveUpdates.Opened(bridge, current, records, self.session.fresh))

    @on(LiveUpdates.Opened)
    def show_world(self, message: LiveUpdates.Opened) -> None:
        self._bridge = message.bridge
        self._scenario = message.scenario
        self._show_storage_failure(message.bridge.failure)
        news = self.board.reset(message.records, announce_existing=message.fresh)
        self.orders.rebuild()
        self.orders.move_cursor(row=0)
        self._show_detail()
        self._refresh()
        self._announce(news)
        self._run_audit()

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
        self.orders.refresh_orders(changed)
        self.query_one(TopBar).show(self._scenario.name if self._scenario else None,
                                    self.board.tally())
        if self.orders.selected_id in changed:
            self._show_detail()
        self._announce(news)
        if changed and self._audit_timer is None:
            self._audit_timer = self.set_timer(AUDIT_INTERVAL_S, self._audit_due)

    # -- the audit badge ----------------------------------------------------------------
    def _audit_due(self) -> None:
        self._audit_timer = None
        self._run_audit()

    @work(thread=True, group="audit", exclusive=True)
    def _run_audit(self) -> None:
        """Audit the open database off the UI thread; the badge shows the verdict."""

        def audit_now(engine: Engine) -> AuditBadge.Audited:
            snapshot = engine.snapshot()
            return AuditBadge.Audited(len(snapshot.records), audit(snapshot, allow_in_flight=True))

        try:
            result = self.session.call(audit_now)
        except AuditError as error:
            result = AuditBadge.Audited(0, None, str(error))
        except (Refused, StorageFailed):
            return  # no database open, or its storage failed (the banner says so): nothing to audit
        self.post_message(result)

    @on(AuditBadge.Audited)
    def _show_audit(self, result: AuditBadge.Audited) -> None:
        self._audit = result
        self.query_one(AuditBadge).show(result)

    def action_audit(self) -> None:
        self._dialog(AuditFindingsScreen(self._audit))

    def _announce(self, news: list[Announcement]) -> None:
        if len(news) > MAX_TOASTS:
            kinds = Counter(notice.notification.kind for notice in news)
            told = ", ".join(f"{count} {kind.value.replace('_', ' ')}" for kind, count in kinds.items())
            self.app.notify(f"{len(news)} notifications ({told}). Press n to read them all.")
            return
        for notice in news:
            kind = notice.notification.kind
            self.app.notify(notice.notification.message, severity=SEVERITY[kind],  # type: ignore[arg-type]
                            timeout=3 if kind == NotificationKind.CONFIRMATION else 6, markup=False)

    # -- the selected order -----------------------------------------------------------
    @on(DataTable.RowHighlighted, "#orders")
    def _show_detail(self) -> None:
        record = self.board.records.get(self.orders.selected_id or "")
        if self.board.records:
            hint = "No order matches the filter."
        else:
            hint = "No orders in this database. Press l to load a scenario."
        self.query_one(StepStrip).show(record, hint)
        self.query_one(Timeline).show(record)

    def _selected(self) -> OrderRecord | None:
        record = self.board.records.get(self.orders.selected_id or "")
        if record is None:
            self.app.notify("Select an order first.", severity="warning")
        return record

    # -- operator actions ---------------------------------------------------------------
    def _dialog(self, screen: Screen[Any], callback: Callable[[Any], None] | None = None) -> None:
        """Open a dialog; toasts would cover it, and the notifications screen keeps them."""
        self.app.clear_notifications()
        self.app.push_screen(screen, callback)

    @work(thread=True, group="engine")
    def _on_engine(self, call: Callable[[Engine], str]) -> None:
        """Run one operator action; the engine's answer or refusal becomes a toast."""
        try:
            message = self.session.call(call)
        except Refused as refusal:
            self.app.notify(str(refusal), title="Refused", severity="warning", markup=False)
        except StorageFailed as error:
            self.app.notify(str(error), title="Not done", severity="error", markup=False)
        except pykka.ActorDeadError:
            # The scenario's crash fault restarts the coordinator on its own thread.
            self.app.notify("The coordinator is restarting after a crash; try again in a moment.",
                            severity="warning")
        else:
            self.app.notify(message, markup=False)

    def action_retry(self) -> None:
        if record := self._selected():
            order_id = record.order.id
            self._on_engine(lambda engine: engine.retry(order_id))

    def action_cancel(self) -> None:
        if record := self._selected():
            order_id = record.order.id
            self._on_engine(lambda engine: engine.cancel(order_id))

    def action_top_up(self) -> None:
        record = self._selected()
        if record is None:
            return
        customer = record.order.customer
        field = Field("Amount in dollars and cents, e.g. 25.00",
                      as_dollars(record.order.total_cents), parse_dollars)

        def top_up(values: list[int] | None) -> None:
            if values:
                self._on_engine(lambda engine: engine.top_up(customer, values[0]))

        self._dialog(AmountPrompt(f"Top up {customer}", [field], "top up"), top_up)

    def action_restock(self) -> None:
        record = self._selected()
        if record is None:
            return
        wanted = units_by_sku(record.order)
        skus = list(wanted)
        fields = [Field(f"Units of {sku} to add (whole number)", str(wanted[sku]), parse_units)
                  for sku in skus]

        def restock(values: list[int] | None) -> None:
            if values:
                self._on_engine(lambda engine: " ".join(
                    engine.restock(sku, units) for sku, units in zip(skus, values)))

        title = f"Restock the items of {record.order.id}"
        self._dialog(AmountPrompt(title, fields, "restock"), restock)

    def action_load(self) -> None:
        self._dialog(ScenarioPicker(self.session.db), self._confirm_load)

    def _confirm_load(self, scenario: Scenario | None) -> None:
        if scenario is None:
            return
        in_flight = self.board.unsettled()
        if not in_flight:
            self._load(scenario)
            return
        question = (f"{in_flight} order{'s are' if in_flight != 1 else ' is'} still in flight. "
                    f"Loading “{scenario.name}” replaces everything in {self.session.db}, "
                    "and they are dropped without finishing or compensating.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._load(scenario)

        self._dialog(ConfirmScreen("Replace the database?", question, "Load"), answered)

    def _load(self, scenario: Scenario) -> None:
        self.app.notify(f"Loading “{scenario.name}”…", markup=False, timeout=2)
        self._open_world(scenario)

    def action_crash(self) -> None:
        self._on_engine(crash_and_restart)

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.orders.filter_text = event.value
        self.orders.rebuild()
        self._show_detail()

    @on(Input.Submitted, "#filter")
    def _keep_filter(self, event: Input.Submitted) -> None:
        self.query_one(FilterBar).display = bool(event.value)
        self.orders.focus()

    def action_sort(self) -> None:
        self.orders.next_sort()

    def action_notifications(self) -> None:
        self._dialog(NotificationsScreen(self.board.notifications()))

    def action_help(self) -> None:
        self._dialog(HelpScreen(self.session.db))

    def action_quit(self) -> None:
        self.app.exit()
