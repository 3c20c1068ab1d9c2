"""The database the dashboard shows and the engine running on it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from actors import (
    EngineSettings,
    Refused,
    SagaEngine,
    Scenario,
    create_database,
    create_empty_database,
    open_engine,
    redacted,
)

T = TypeVar("T")


class DashboardSession:
    """Loading a scenario swaps the database's whole world: the engine holds the
    file's lock, so it is closed, the file rewritten and a new engine opened.
    A lock serialises that swap with taking the engine for a call; engine calls
    block, so the dashboard makes them from worker threads only."""

    def __init__(self, db: Path | str, settings: EngineSettings, operator: str | None = None) -> None:
        self.db = db
        self.shown = redacted(str(db), db)  # what a person sees of it: a URL without its password
        self._settings = settings
        self.operator = operator  # who its actions are recorded as (None: the login name)
        self._lock = threading.Lock()
        self._engine: SagaEngine | None = None
        # Whether the world on screen was written by this session: its
        # notifications are news, not history.
        self.fresh = False

    @classmethod
    def open(cls, db: Path | str, scenario: Scenario | None, settings: EngineSettings,
             operator: str | None = None) -> DashboardSession:
        """Open db (writing scenario into it first, if given); DatabaseError says why not."""
        session = cls(db, settings, operator)
        if scenario is not None:
            create_database(db, scenario, replace=True)
            session.fresh = True
        else:
            create_empty_database(db)
        session._engine = session._start()
        return session

    def _start(self) -> SagaEngine:
        # A scenario's crash fault restarts the coordinator: the dashboard stays up.
        return open_engine(self.db, on_crash="restart", settings=self._settings)

    def call(self, action: Callable[[SagaEngine], T]) -> T:
        """Run action on the open engine. The lock is held only to take the engine, so a long
        call (the audit's, every order's summary) holds up no other: the world may be replaced
        meanwhile, and then the engine refuses (Refused, EngineRestarting) or answers for
        the old world, which the caller drops once a new world is shown."""
        with self._lock:
            engine = self._engine
        if engine is None:
            raise Refused(f"No database is open ({self.shown}); quit and start the dashboard again.")
        return action(engine)

    def replace(self, scenario: Scenario) -> None:
        """Make the database hold scenario's world, every order starting at once."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            try:
                create_database(self.db, scenario, replace=True)
                self.fresh = True
            finally:
                # The new world, or the old one when it could not be written.
                self._engine = self._start()

    def reopen(self) -> None:
        """Open the database again as it is now: another process replaced its world."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            self.fresh = False
            self._engine = self._start()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
