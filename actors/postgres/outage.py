"""Riding out a PostgreSQL that restarts, fails over or stalls: the one retry policy of the
PostgreSQL runtime's own transactions.

A transaction that fails because the database went away (its connection broke, or none can be
made) is run again from the start, with backoff, until it commits or the outage outlasts a
limit. Running one again is safe even when its commit's outcome is unknown: each one locks the
order's row and first reads whether the record still awaits the command it carries out, and the
ledger keys every effect (effects.py), so a transaction that did commit finds its work done.

A process says once that it lost the database and once that it regained it, however many of
its threads noticed; DBOS's own warning at each of its retries is dropped rather than printed.
"""

from __future__ import annotations

import logging
import math
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import psycopg
import sqlalchemy as sa

from actors.postgres.urls import redacted
from storage.errors import DatabaseError

LIMIT_S = 300.0  # how long a transaction waits for the database by default: a restart, a failover
FIRST_BACKOFF_S = 0.1
MOST_BACKOFF_S = 2.0  # the longest a transaction waits between tries: the database back is soon seen
# The SQLSTATEs of a transaction PostgreSQL rolled back for no fault of its own (a deadlock, a
# serialization failure): run again at once, with no word of an outage.
_ROLLED_BACK = ("40P01", "40001")
_CANCELLED = "57014"  # a statement cancelled (a timeout, an operator): not the database going away
# How long after its last failure a statement that gets through means the database is back, and
# how long failures must go on soon after an outage to be another.
QUIET_S = 1.0
SETTLE_S = 15.0  # how long after an outage a failure may be a connection broken in it (idle since)

P = ParamSpec("P")
T = TypeVar("T")


class OutageOutlasted(DatabaseError):
    """The database stayed away longer than the limit: the transaction is given up (a command
    says so in one sentence)."""


def is_disconnect(error: BaseException) -> bool:
    """Whether error says the database is gone or not there yet, not that the statement is
    wrong: a broken connection, a refused one, a server shutting down or starting up, a pool
    that found no connection in time."""
    if isinstance(error, sa.exc.TimeoutError):  # the pool's checkout waited in vain
        return True
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error  # the driver's, as a pool logs it
    if isinstance(cause, psycopg.InterfaceError):
        return True
    if not isinstance(cause, psycopg.OperationalError):
        return False
    state = cause.sqlstate or ""
    # No SQLSTATE: libpq's own (connection refused, server closed the connection unexpectedly);
    # 08: connection exception; 57: operator intervention (shutdown, starting up); 53: out of
    # resources (too many connections while the clients reconnect at once).
    return state == "" or (state[:2] in ("08", "53", "57") and state != _CANCELLED)


def _rolled_back(error: BaseException) -> bool:
    return (isinstance(error, sa.exc.DBAPIError) and isinstance(error.orig, psycopg.Error)
            and error.orig.sqlstate in _ROLLED_BACK)


def _unreachable(why: str) -> str:
    return f"PostgreSQL unreachable, retrying ({why})."


def _back(after_s: float) -> str:
    return f"PostgreSQL is back after {after_s:.0f} s."


def _to_stderr(line: str) -> None:
    print(f"ordersaga: {line}", file=sys.stderr, flush=True)


class Watch:
    """One process's view of the database: whether it is lost, since when, and the words that
    say so, once per outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lost_at: float | None = None
        self._failed_at = 0.0
        self._said = False  # whether the loss was said
        self._gave_up = False  # whether sagas that outlasted the limit were said to be failed
        self._back_at = -SETTLE_S  # when the last outage ended
        self._stopping = threading.Event()
        self._back = threading.Condition()
        self._comebacks = 0  # how many outages ended
        self.configure("")

    def configure(self, url: str, limit_s: float = LIMIT_S, lost_line: Callable[[str], str] = _unreachable,
                  back_line: Callable[[float], str] = _back, say: Callable[[str], None] = _to_stderr) -> None:
        """Set the limit and the words for this process (a worker's its own; a command's and a
        dashboard's the default), and where they go (a dashboard's event line)."""
        self._url, self.limit_s = url, limit_s
        self._lost_line, self._back_line, self._say = lost_line, back_line, say

    def stop_waiting(self) -> None:
        """The process is stopping: a transaction waiting for the database gives up now (its
        saga is handed back), DBOS's too, rather than hold the exit for the rest of the limit."""
        self._stopping.set()
        with self._back:
            self._back.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def say(self, line: str) -> None:
        """A line for a person, where this process's lines about the database go."""
        self._say(line)

    @property
    def lost(self) -> bool:
        """Whether the database is known to be away (its loss said)."""
        return self._said

    def back_for(self) -> float:
        """Seconds since the last outage ended (infinite if none did): how long others that were
        silent through it have had to beat again."""
        with self._lock:
            return math.inf if self._comebacks == 0 else time.monotonic() - self._back_at

    def noticed(self, error: BaseException | str) -> None:
        """A statement failed for want of the database: said once per outage, with the reason
        (its password hidden). Soon after an outage, only once failures go on for QUIET_S: a
        connection that broke in it and sat idle since fails at its next use, and is no outage."""
        with self._lock:
            self._failed_at = time.monotonic()
            if self._lost_at is None:
                self._lost_at = self._failed_at
            leftover = self._failed_at - self._back_at < SETTLE_S and self._failed_at - self._lost_at < QUIET_S
            if self._said or leftover:
                return
            self._said = True
        self._say(self._lost_line(redacted(_first_line(error), self._url)))

    def answered(self) -> None:
        """A transaction committed: the database is back (said once, if its loss was), unless
        it failed within QUIET_S: a server shutting down answers some statements between
        refusals."""
        if self._lost_at is None or time.monotonic() - self._failed_at < QUIET_S:
            return
        with self._lock:
            lost_at, said, self._lost_at, self._said = self._lost_at, self._said, None, False
            self._gave_up = False
            self._back_at = time.monotonic()
        with self._back:
            self._comebacks += 1
            self._back.notify_all()
        if lost_at is not None and said:
            self._say(self._back_line(time.monotonic() - lost_at))

    def gave_up(self) -> None:
        """Sagas waited longer than the limit and were failed: said once per outage."""
        with self._lock:
            if self._gave_up:
                return
            self._gave_up = True
        self._say(f"sagas that waited longer than {self.limit_s:g} s for PostgreSQL are failed; "
                  "once it is back, a worker picks each up again.")

    def sleep_unless_back(self, seconds: float) -> None:
        """Sleep, but no longer than until the database comes back or the process stops."""
        with self._back:
            comebacks = self._comebacks
            self._back.wait_for(lambda: self._comebacks != comebacks or self.stopping, timeout=seconds)

    def ride_out(self, call: Callable[[], T], limit_s: float | None = None,
                 until: threading.Event | None = None) -> T:
        """call's result, call run again (it must be one or more whole transactions) while the
        database is away, for up to limit_s (the process's limit by default) from the first
        failure, or until `until` is set; then OutageOutlasted. Any other error is the caller's."""
        stopping = until or self._stopping
        limit = self.limit_s if limit_s is None else limit_s
        deadline: float | None = None
        backoff = FIRST_BACKOFF_S
        while True:
            try:
                result = call()
            except Exception as error:
                if _rolled_back(error):
                    continue
                if not is_disconnect(error):
                    raise
                self.noticed(error)
                deadline = deadline if deadline is not None else time.monotonic() + limit
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set() or stopping.is_set():
                    raise OutageOutlasted(f"PostgreSQL was unreachable for longer than {limit:.0f} s "
                                          f"({redacted(_first_line(error), self._url)}).") from None
                stopping.wait(min(backoff * (0.5 + random.random()), left))
                backoff = min(backoff * 2, MOST_BACKOFF_S)
            else:
                self.answered()
                return result


def _first_line(error: BaseException | str) -> str:
    text = str(getattr(error, "orig", None) or error) if isinstance(error, BaseException) else error
    return (text.strip().splitlines() or [type(error).__name__])[0].strip()


watch = Watch()  # the process's: every thread that meets the outage tells this one


def ridden_out(transactions: Callable[P, T]) -> Callable[P, T]:
    """transactions, run again whole while the database is away (watch.ride_out)."""
    def riding_out(*args: P.args, **kwargs: P.kwargs) -> T:
        return watch.ride_out(lambda: transactions(*args, **kwargs))
    riding_out.__name__, riding_out.__doc__ = transactions.__name__, transactions.__doc__
    return riding_out


class _DbosOutageLines(logging.Filter):
    """Drops DBOS's lines about the database being away (a warning at each retry of each of its
    threads, a flood in an outage; a traceback for each saga that outlasted the limit), telling
    the watch instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OutageOutlasted):
            watch.gave_up()
            return False
        message = record.getMessage()
        disconnect = isinstance(error, BaseException) and (is_disconnect(error)
                                                          or isinstance(error, psycopg.OperationalError))
        if not (disconnect or any(words in message for words in _DISCONNECT_WORDS)):
            return True
        reason = _PSYCOPG_ERROR.search(message)
        watch.noticed(error if isinstance(error, BaseException) else reason[1] if reason else message)
        return False


# What DBOS's lines say of a connection gone (they carry the error's text, not the error).
_DISCONNECT_WORDS = ("Database connection failed", "OperationalError", "AdminShutdown", "connection failed",
                     "server closed the connection", "connection is bad", "consuming input failed",
                     "the database system is", "terminating connection")
_PSYCOPG_ERROR = re.compile(r"\(psycopg[\w.]*\)\s*(.*)")


class _PoolResetLines(logging.Filter):
    """Drops SQLAlchemy's traceback for a connection that could not be reset on its way back to
    the pool because the database went away: the pool drops that connection itself, and the
    watch says once that the database is away."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BaseException) and is_disconnect(error):
            watch.noticed(error)
            return False
        return True


_dbos_filter = _DbosOutageLines()
_pool_filter = _PoolResetLines()
# Where SQLAlchemy's queue pool (every pool here) logs a failed reset.
_POOL_LOGGER = "sqlalchemy.pool.impl.QueuePool"
_DBOS_TEST = "retriable_postgres_exception"


class _DbosClock:
    """The `time` module as DBOS's system-database code sees it: the same, but a sleep ends
    when the database comes back. DBOS backs off up to a minute between two tries of a
    statement, so its sagas would stand for up to a minute after an outage otherwise."""

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        watch.sleep_unless_back(seconds)


def dbos_rides_out() -> None:
    """DBOS retries its own statements while the database is away, for as long as it takes:
    make it see every disconnect this module sees (DBOS 3.4 misses psycopg 3.3's "connection
    is bad: ...", fails the statement, and the workflow it served is left PENDING with no one
    running it), try again as soon as the database is back, give up once the process stops (its
    threads would hold the exit for ever), and drop its lines about it (once), and the pool's."""
    from dbos import _sys_db

    theirs: Callable[[Exception], bool] = getattr(_sys_db, _DBOS_TEST)
    if getattr(theirs, "__module__", "") != __name__:
        def retriable(error: Exception) -> bool:
            return not watch.stopping and (is_disconnect(error) or theirs(error))
        setattr(_sys_db, _DBOS_TEST, retriable)  # the name its retry loop looks up at each failure
        setattr(_sys_db, "time", _DbosClock())  # noqa: B010 (mypy: the module does not export its time)
    for name, dropping in (("dbos", _dbos_filter), (_POOL_LOGGER, _pool_filter)):
        logger = logging.getLogger(name)
        if dropping not in logger.filters:
            logger.addFilter(dropping)
