"""The open world and its live updates: opening a world (a scenario's, when one is loaded) on
a worker, its history behind the live orders, refreshes at most ten a second, and opening the
database again when another process replaced its world (PostgreSQL's `run --replace`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from actors import DatabaseError, OrderRecord, Refused, SagaEngine, Scenario, StorageFailed
from app.dashboard.board import History, prepared_history
from app.dashboard.live import LiveUpdates
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.widgets.event_line import EventLine

REFRESH_INTERVAL_S = 0.1  # at most ten redraws a second, however many orders move


class WorldFeed:
    """Follows one world at a time: what a bridge of a world since replaced posts is dropped."""

    class HistoryRead(Message):
        """Every order's summary, ranked, for the world the bridge follows."""

        def __init__(self, bridge: LiveUpdates, history: History) -> None:
            super().__init__()
            self.bridge = bridge
            self.history = history

    class WorldReplaced(Message):
        """Another process replaced the world the bridge follows."""

        def __init__(self, bridge: LiveUpdates) -> None:
            super().__init__()
            self.bridge = bridge

    def __init__(self, screen: PartsHost, refresh: Callable[[], None]) -> None:
        self._screen = screen
        self._refresh = refresh
        self.bridge: LiveUpdates | None = None
        self.scenario: Scenario | None = None
        self._timer: Timer | None = None
        self._last_refresh = 0.0

    def open(self, scenario: Scenario | None, reopen: bool = False) -> None:
        """Swap in scenario's world (when given; with reopen, the world another process put in
        the database), then follow the engine's updates."""
        self._screen.run_worker(partial(self._open, scenario, reopen), thread=True, group="engine")

    def _open(self, scenario: Scenario | None, reopen: bool = False) -> None:
        screen, session = self._screen, self._screen.session
        if reopen:
            try:
                session.reopen()
            except DatabaseError as error:
                screen.post_message(EventLine.Said(str(error), "error"))
                return
        if scenario is not None:
            try:
                session.replace(scenario)
            except DatabaseError as error:
                screen.post_message(EventLine.Said(f"“{scenario.name}” was not loaded. {error}", "error"))
        bridge = LiveUpdates(screen)

        fresh = session.fresh

        def replaced() -> None:  # on the engine's thread: only posted
            screen.post_message(self.WorldReplaced(bridge))

        def tell(line: str) -> None:
            """PostgreSQL gone and back, on the event line (the calls meanwhile wait for it)."""
            screen.post_message(EventLine.Said(line, "warning"))

        def follow(engine: SagaEngine) -> tuple[Scenario | None, list[OrderRecord]]:
            engine.subscribe(bridge)
            engine.on_storage_failure(bridge.stopped)
            engine.on_replaced(replaced)
            engine.on_database_news(tell)
            # A world this session just wrote is the scenario's orders, each one news: all of
            # them whole. Otherwise the live ones, and the history's summaries behind them.
            return engine.scenario, engine.records() if fresh else engine.live_records()

        try:
            current, records = session.call(follow)
        except Refused as refusal:
            screen.post_message(EventLine.Said(str(refusal), "error"))
            return
        except StorageFailed:
            return  # the bridge has posted it: the banner says so, what is on screen stays
        screen.post_message(LiveUpdates.Opened(bridge, current, records, fresh))
        # The history fills in behind the live orders, without holding up the operator's actions.
        try:
            history = prepared_history(session.call(lambda engine: engine.summaries()))
        except (Refused, StorageFailed):  # EngineRestarting is a refusal
            return  # replaced or failed meanwhile: the new world reads its own, the banner says why
        screen.post_message(self.HistoryRead(bridge, history))

    def opened(self, message: LiveUpdates.Opened) -> None:
        self.bridge = message.bridge
        self.scenario = message.scenario
        self.show_storage_failure(message.bridge.failure)

    def follows(self, bridge: LiveUpdates | None) -> bool:
        """Whether bridge is the open world's (not one since replaced)."""
        return bridge is self.bridge

    def arrived(self, message: LiveUpdates.Arrived) -> None:
        """Refresh now, or once REFRESH_INTERVAL_S has passed since the last refresh."""
        if not self.follows(message.bridge) or self._timer is not None:
            return
        wait = self._last_refresh + REFRESH_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self._refresh()
        else:
            self._timer = self._screen.set_timer(wait, self._refresh)

    def replaced(self, message: WorldReplaced) -> bool:
        """Open the database again if the world it replaced is the one shown: whether it was."""
        if not self.follows(message.bridge):
            return False
        self.bridge = None  # nothing more of the old world is shown
        self._screen.post_message(EventLine.Said(
            "Another process replaced this database's world (a scenario loaded with --replace): "
            "showing the new one.", "warning"))
        self.open(None, reopen=True)
        return True

    def take(self) -> tuple[list[OrderRecord], dict[str, str]]:
        """Everything that arrived since the last refresh, which starts now, with the worker
        that stored each record (PostgreSQL's), by order."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._last_refresh = time.monotonic()
        return self.bridge.take_with_workers() if self.bridge else ([], {})

    def show_storage_failure(self, error: StorageFailed | None) -> None:
        """A banner that stays while the open world's storage has failed (a new world clears it)."""
        banner = self._screen.query_one("#storage-failure", Static)
        banner.set_class(error is not None, "-shown")
        if error is not None:
            banner.update(f"⚠ Storage stopped: {error.cause}. Orders stay as last stored, and "
                          f"nothing acknowledged was lost. To resume them: {error.remedy}, "
                          "quit (q) and open the dashboard again.")
