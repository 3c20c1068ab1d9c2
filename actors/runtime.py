"""The one place that chooses the runtime from the --db value: a path is the embedded
database (TinyDB journal, Pykka actors, this process runs the sagas); a postgresql://
URL is the PostgreSQL runtime (DBOS Transact workers run the sagas, any number of
commands and dashboards share it). The PostgreSQL runtime loads only when chosen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from actors.embedded import database
from actors.embedded.engine import Engine
from actors.facade import SagaEngine, WorldReader
from actors.mapper import acted_on_at_open
from actors.reading import readers
from actors.reading.snapshot import WorldSnapshot, order_sort_key
from actors.saga.scenario import Scenario
from storage.errors import DatabaseError, DatabaseLocked, DatabaseReadOnly
from storage.files import refuse_unless_regular
from storage.journal_file import Replay as SalvageReport
from storage.salvage import salvage as storage_salvage
from storage.store import DocumentStore

_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_OTHER_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_NEEDS = ("PostgreSQL needs the postgres extra: pip install 'ordersaga[postgres]' "
          "(DBOS Transact, SQLAlchemy and psycopg)")


def is_database_url(db: str | Path) -> bool:
    """Whether --db names a PostgreSQL database rather than a file."""
    return isinstance(db, str) and db.startswith(_SCHEMES)


def database_location(text: str) -> str | Path:
    """A --db argument: a URL as it is (a Path would fold its //), any other text as a path, where
    a regular file is or one can be created: anything else (a folder, a FIFO, a device) is refused
    with DatabaseError, unread. A URL that cannot name a database is refused the same way."""
    if is_database_url(text):
        try:
            from actors.postgres.urls import check_url
        except ImportError as error:
            raise DatabaseError(f"{_NEEDS}; {error}.") from None
        return check_url(text)
    other = _OTHER_URL.match(text)
    if other is not None:  # not shown: whatever its scheme, it may carry a password
        raise DatabaseError(f"--db names a {other[1]}:// URL, which ordersaga cannot open: give a "
                            "postgresql:// URL, or the path of a database file.")
    refuse_unless_regular(Path(text))
    return Path(text)



def redacted(text: str, db: str | Path) -> str:
    """Text to show a person (an error's, say), with the --db URL's password hidden in it."""
    if not is_database_url(db):
        return text
    from actors.postgres.urls import redacted as without_password

    return without_password(text, str(db))


def _postgres() -> Any:
    try:
        from actors.postgres import engine, worker
    except ImportError as error:
        raise DatabaseError(f"{_NEEDS}; {error}.") from None
    return engine, worker


def open_engine(db: str | Path, **kwargs: Any) -> SagaEngine:
    """The engine on db, whichever runtime db names."""
    if is_database_url(db):
        engine: SagaEngine = _postgres()[0].PostgresEngine.open(str(db), **kwargs)
        return engine
    return Engine.open(db, **kwargs)


def create_database(db: str | Path, scenario: Scenario, replace: bool = False) -> None:
    """Write a scenario into db (on PostgreSQL, its orders enqueued for the workers too)."""
    if is_database_url(db):
        _postgres()[0].create_database(str(db), scenario, replace=replace)
    else:
        database.create_database(db, scenario, replace=replace)


def read_snapshot(db: str | Path) -> WorldSnapshot:
    """The world as last stored, resuming nothing."""
    if is_database_url(db):
        return _postgres()[0].read_snapshot(str(db))  # type: ignore[no-any-return]
    return readers.read_snapshot(db)


def open_reader(db: str | Path) -> WorldReader:
    """The database as last stored, to read without resuming, locking or writing anything."""
    if is_database_url(db):
        return readers.SnapshotWorld(read_snapshot(db))
    return readers.StoredWorld.read_only(db)


def open_resumed(db: str | Path, settle: Callable[[SagaEngine], None]) -> WorldReader:
    """A database file to read as every command reads it: resumed, and settled by `settle`.

    Its lock is taken, and an engine starts only where opening one would act on an order
    (resume one in flight, archive one settled for good). Where every live order waits for
    an operator, the database is read as stored, which is what the engine would show, at
    the cost of what is shown rather than of starting every live order. (A PostgreSQL
    database is run by its workers: a reader reads it as it is, see open_reader.)
    """
    store = DocumentStore(db, create=False)
    try:
        if not acted_on_at_open(store):
            return readers.StoredWorld(store)
        engine = Engine(store)
    except BaseException:
        store.close()
        raise
    try:
        settle(engine)
    except BaseException:
        engine.close()
        raise
    return engine


class StoredBecause(Enum):
    """Why a database file was read as last stored rather than resumed."""

    ASKED = "asked"          # the reader asked not to resume
    LOCKED = "locked"        # another process has it open
    READ_ONLY = "read_only"  # this process cannot write it


@dataclass(frozen=True)
class DatabaseWorld:
    """The world of a database as a reading command sees it, and how it came to be read so."""

    reader: WorldReader
    resumed: bool  # resumed and settled: what was in flight has run on
    stored_because: StoredBecause | None = None  # None: resumed, or run by PostgreSQL workers

    def left_in_flight(self) -> list[str]:
        """The orders in flight a read as last stored left as they were, in order."""
        if self.stored_because is None:
            return []
        return sorted((s.id for s in self.reader.summaries() if not s.status.settled), key=order_sort_key)


@contextmanager
def world_of(db: str | Path, settle: Callable[[SagaEngine], None], resume: bool = True) -> Iterator[DatabaseWorld]:
    """The world of db as every reading command reads it.

    A database file is resumed and settled by `settle` first, as every command does, when this
    process can open it for writing (see open_resumed). Otherwise (resume=False, another
    process has it open, or it is read-only) it is read as last stored, without the lock and
    without writing a byte, and the world says why. A PostgreSQL database is read as it is:
    its workers run the sagas, and a reader waits for no one (a lost worker's orders would
    keep it waiting until `recover`).
    """
    if is_database_url(db):
        with open_reader(db) as reader:
            yield DatabaseWorld(reader, resumed=False)
        return
    because = StoredBecause.ASKED
    if resume:
        try:
            resumed = open_resumed(db, settle)
        except DatabaseLocked:
            because = StoredBecause.LOCKED
        except DatabaseReadOnly:
            because = StoredBecause.READ_ONLY
        else:
            with resumed as world:
                yield DatabaseWorld(world, resumed=True)
            return
    with open_reader(db) as reader:
        yield DatabaseWorld(reader, resumed=False, stored_because=because)


def run_worker(db: str | Path, name: str, started: Any, stop: Any, grace_s: float,
               takeover_after_s: float = 30.0, outage_limit_s: float | None = None) -> int | None:
    """Run a PostgreSQL worker until stop is set, then drain it for up to grace_s; how many
    sagas it handed back (None if PostgreSQL was away to count them). A live worker takes its
    sagas over once it has been silent for takeover_after_s. Its sagas wait for a PostgreSQL
    that is away for up to outage_limit_s (by default, the runtime's). A file database has no
    workers."""
    if not is_database_url(db):
        raise DatabaseError(f"{db}: workers run on a PostgreSQL database (--db postgresql://...); "
                            "a database file is run by the command that opens it.")
    worker = _postgres()[1]
    limit = {} if outage_limit_s is None else {"outage_limit_s": outage_limit_s}
    return worker.run_worker(str(db), name, started, stop, grace_s=grace_s,  # type: ignore[no-any-return]
                             takeover_after_s=takeover_after_s, **limit)


def list_workers(db: str | Path, silent_after_s: float | None = None) -> list[Any]:
    """The workers that have run on a PostgreSQL database, with their state (see
    actors.postgres.heartbeat.WorkerState); silent after silent_after_s without a beat, by
    default half each one's takeover timeout."""
    if not is_database_url(db):
        raise DatabaseError(f"{db}: only a PostgreSQL database has workers.")
    return _postgres()[1].list_workers(str(db), silent_after_s)  # type: ignore[no-any-return]


def recover(db: str | Path, lost: str) -> list[str]:
    """Hand a lost worker's sagas in flight to the live workers; the orders handed on."""
    if not is_database_url(db):
        raise DatabaseError(f"{db}: only a PostgreSQL database has workers to recover from.")
    return _postgres()[1].recover(str(db), lost)  # type: ignore[no-any-return]


def recover_failed(db: str | Path) -> list[str]:
    """Put the orders in flight whose saga failed (on PostgreSQL: DBOS marked it so, say after
    an outage longer than the workers' limit) back on the queue; the orders put back."""
    if not is_database_url(db):
        raise DatabaseError(f"{db}: only a PostgreSQL database has workers to recover from.")
    return _postgres()[1].recover_failed(str(db))  # type: ignore[no-any-return]


def create_empty_database(db: str | Path) -> None:
    """An empty database where none is yet, to load a scenario into later (a PostgreSQL
    database is made by its server: nothing to do)."""
    if not is_database_url(db) and not Path(db).exists():
        database.create_empty_database(db)


def salvage(db: str | Path, to: str | Path) -> SalvageReport:
    """Copy what is intact of a damaged database file to a new one (see storage.salvage)."""
    if is_database_url(db):
        raise DatabaseError("salvage reads a damaged database file; PostgreSQL keeps and repairs its own.")
    return storage_salvage(Path(db), Path(to))
