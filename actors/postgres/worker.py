"""A worker process: DBOS launched under a stable executor id, dequeuing sagas; and the
hand-over of a lost worker's sagas to the live ones."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, DBOSConfig

from actors.postgres.heartbeat import LOST_AFTER_S, Takeover, beat, beat_every, first_beat, read_workers, take_over
from actors.postgres.outage import LIMIT_S, OutageOutlasted, dbos_rides_out, is_disconnect, watch
from actors.postgres.queue import (
    APP,
    APP_VERSION,
    POLL_S,
    QUEUE,
    WORKER_CONCURRENCY,
    client_for,
    enqueue_leg,
    prepare,
    register_queue,
)
from actors.postgres.saga_workflow import DRIVING, WorkerContext, install
from actors.postgres.store import current_legs, engine_for, load_record, save_record
from actors.postgres.urls import display
from actors.reading.snapshot import order_sort_key
from actors.reading.workers import WorkerState
from actors.saga.settings import EngineSettings
from actors.saga.values import WORKER_ID, BadValue
from storage.errors import DatabaseError

GRACE_S = 10.0  # how long a stopping worker lets its sagas in flight run on to a durable point


def run_worker(url: str, name: str, say: Callable[[str], None], stop: threading.Event,
               settings: EngineSettings = EngineSettings(), grace_s: float = GRACE_S,
               takeover_after_s: float = LOST_AFTER_S, outage_limit_s: float = LIMIT_S) -> int | None:
    """Take sagas from the queue until stop is set (the caller sets it on a signal); then
    drain: take no new saga, give those in flight up to grace_s to finish, and return how
    many were handed back (left PENDING under the id, for the same again, a live worker
    once takeover_after_s has passed, or `recover`; None if PostgreSQL is away, and they
    cannot be counted). say gets the lines a person reads: started, lost and regained the
    database, a takeover.

    On launch DBOS first re-runs the workflows left PENDING under this executor id: a
    worker restarted with its id resumes its own sagas. Meanwhile it beats, and takes over
    the sagas of any worker silent for longer than that worker's own takeover_after_s.
    Through an outage of PostgreSQL its sagas wait for up to outage_limit_s; one that waited
    longer is failed, and picked up again (a new leg on the queue) by whichever worker next
    sees the database.
    """
    try:
        WORKER_ID.check(name)  # the executor id DBOS keeps, typed again at every start
    except BadValue as bad:
        raise DatabaseError(str(bad)) from None
    watch.configure(url, outage_limit_s, say=say,
                    lost_line=lambda why: f"worker {name} lost PostgreSQL ({why}); its sagas wait for it "
                                          f"(for up to {outage_limit_s:.0f} s).",
                    back_line=lambda after_s: f"worker {name} regained PostgreSQL after {after_s:.0f} s; "
                                              "its sagas carry on.")
    db = prepare(url, pool_size=WORKER_CONCURRENCY)  # a connection for each saga it runs at once
    held = _hold_worker_id(url, name)
    if held is None:
        db.dispose()
        raise DatabaseError(f"Worker {name} is already running on {display(url)}: stop it first, or start "
                            "this one with another --id.")
    _bound_idle_transactions(db, takeover_after_s)
    beating, launched, every_s = threading.Event(), _Launched(), beat_every(takeover_after_s)
    first_beat(held, name, takeover_after_s)
    client = client_for(url)
    orphans = Orphans(client, name)

    def pick_up() -> None:
        if launched.up.is_set():
            pick_up_failed(db, client)
            orphans.resume()
    heart = threading.Thread(target=_beat, args=(held, name, every_s, beating, stop, pick_up),
                             name="ordersaga-heartbeat", daemon=True)
    taker = threading.Thread(target=_take_over_lost, args=(held.engine, name, every_s, takeover_after_s, beating,
                                                            launched),
                             name="ordersaga-takeover", daemon=True)
    heart.start()
    taker.start()
    install(WorkerContext(db=db, name=name, where=display(url), settings=settings))
    config: DBOSConfig = {"name": APP, "system_database_url": url, "executor_id": name,
                          "application_version": APP_VERSION, "log_level": "WARNING",
                          "max_executor_threads": WORKER_CONCURRENCY + 8,
                          # No ping before each use of a system-database connection (a round trip
                          # every time): DBOS retries a statement whose connection broke.
                          "db_engine_kwargs": {"pool_pre_ping": False},
                          "sys_db_idle_transaction_timeout_sec": takeover_after_s}
    dbos_rides_out()
    DBOS(config=config)
    logging.getLogger("dbos").addFilter(_quiet_when_fenced)
    try:
        DBOS.launch()
        # A queue is registered on a launched DBOS (3.4 keeps it in the system database).
        DBOS.register_queue(QUEUE, worker_concurrency=WORKER_CONCURRENCY, polling_interval_sec=POLL_S,
                            on_conflict="always_update")
        launched.up.set()
        say(f"worker {name} takes orders from {display(url)} (up to {WORKER_CONCURRENCY} at once); "
            "Ctrl-C stops it, and its sagas in flight resume when it starts again with this --id, or "
            f"on a live worker once it has been silent for {takeover_after_s:g} s.")
        stop.wait()
        with launched.lock:
            launched.up.clear()  # a stopping worker takes nothing over
        # DBOS's own drain: its queue thread stops first, then it waits (whole seconds) for
        # the workflows in flight. Those still running when it tears down fail at their next
        # step, which DBOS logs with a traceback each: they are handed back, not errors.
        logging.getLogger("dbos").setLevel(logging.CRITICAL)
        DBOS.destroy(workflow_completion_timeout_sec=math.ceil(grace_s))
    finally:
        watch.stop_waiting()
        logging.getLogger("dbos").setLevel(logging.CRITICAL)
        DBOS.destroy()  # a no-op after the drain; on an error, the teardown
        beating.set()
        heart.join()
        taker.join()
        client.destroy()
        db.dispose()
        try:
            with held.begin():
                held.execute(sa.text("UPDATE ordersaga.workers SET stopped = now() WHERE id = :id"), {"id": name})
        except sa.exc.DBAPIError:
            pass  # no stopped mark: it shows silent, which is all that is known
        held.close()
        held.engine.dispose()  # its connection closes: the id is free again
    return _handed_back(url, name)


def _handed_back(url: str, name: str) -> int | None:
    """The sagas left PENDING under the worker's id once it stopped (None: PostgreSQL is away)."""
    try:
        client = client_for(url)
    except sa.exc.DBAPIError as error:
        if is_disconnect(error):
            return None
        raise
    try:
        return len(client.list_workflows(status="PENDING", executor_id=name, queue_name=QUEUE,
                                         load_input=False, load_output=False))
    finally:
        client.destroy()


@dataclass
class _Launched:
    """Whether DBOS runs here, so the sagas of a lost worker may be handed on through it;
    the lock keeps a takeover and DBOS's teardown apart."""

    up: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _quiet_when_fenced(record: logging.LogRecord) -> bool:
    """DBOS's warning for each saga a takeover fenced off here: the worker said it once."""
    return "is no longer owned by this execution" not in record.getMessage()


def _bound_idle_transactions(db: sa.Engine, seconds: float) -> None:
    """PostgreSQL ends a session of db left idle inside a transaction for so long: a worker
    stalled mid-transaction (stopped, swapped out) holds its order's row and its workflow's
    until then, and the worker that takes its sagas over needs both."""
    @sa.event.listens_for(db, "connect")
    def bound(dbapi_connection: Any, record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET idle_in_transaction_session_timeout = {math.ceil(seconds * 1000)}")
        dbapi_connection.commit()


def _beat(connection: sa.Connection, name: str, every_s: float, beating: threading.Event,
          stop: threading.Event, pick_up: Callable[[], object]) -> None:
    """The worker's heartbeat, every every_s until `beating` is set, on the connection that
    holds its id (no other thread uses it meanwhile), each beat followed by a look for sagas
    an outage failed. A beat that says a live worker took this one's sagas over (it was
    stalled) is said once. Through an outage it keeps trying: the beat that gets through says
    the database is back, and first takes the id's lock again (PostgreSQL dropped it with the
    connection); if another worker took the id meanwhile, this one stops."""
    relock = False
    while not beating.wait(every_s):
        try:
            if relock:
                if not _take_worker_id(connection, name):
                    watch.say(f"worker {name}: another worker took the id {name} while PostgreSQL was away; "
                              "this one stops.")
                    stop.set()
                    return
                relock = False
            back = beat(connection, name)
            watch.answered()
            if back is not None:
                watch.say(f"worker {name} was silent for {back.silent_s:.0f} s and {back.by} took over its "
                          f"{_sagas(back.handed)} in flight: this worker stops those and takes new ones.")
            pick_up()
        except sa.exc.DBAPIError as error:
            if is_disconnect(error):
                watch.noticed(error)
                relock = True
            # anything else: tried again at the next beat; meanwhile the worker shows silent, as it is


def _take_over_lost(db: sa.Engine, name: str, every_s: float, takeover_after_s: float, stop: threading.Event,
                    launched: _Launched) -> None:
    """Once DBOS runs here, look for lost workers as often as this one beats, and take their
    sagas over. Apart from the heartbeat: handing on a workflow whose lost worker stalled
    inside a transaction waits for PostgreSQL to end that transaction, and this worker must
    go on beating meanwhile. Not until takeover_after_s after PostgreSQL came back from an
    outage: the others were silent only because it was away, and beat again soon."""
    while not stop.wait(every_s):
        if watch.lost or watch.back_for() < takeover_after_s:
            continue
        try:
            with launched.lock, db.connect() as connection:
                for taken in take_over(connection, name, _hand_on) if launched.up.is_set() else []:
                    watch.say(_took_over(taken))
        except sa.exc.DBAPIError:
            continue  # tried again next time: a lost worker not marked is still lost


def _hand_on(lost: str) -> list[str]:
    """DBOS's recovery of the lost executor's PENDING workflows: each goes back on its queue
    only while it is still PENDING under that executor (so twice hands on once), and the
    claim of whichever worker dequeues it writes a new ownership token, which fences off the
    lost worker's execution (store.save_record). The orders they drive."""
    return sorted((handle.get_workflow_id().split("/")[1] for handle in DBOS._recover_pending_workflows([lost])),
                  key=order_sort_key)


def _took_over(taken: Takeover) -> str:
    return (f"worker {taken.by} took over the {_sagas(taken.handed)} in flight on worker {taken.lost}, "
            f"silent for {taken.silent_s:.0f} s: {', '.join(taken.orders)}.")


def _sagas(count: int) -> str:
    return f"{count} saga{'s' if count != 1 else ''}"


class Orphans:
    """The sagas DBOS counts as running on this worker that none of its threads drives: an
    outage lost them (a dequeue whose commit the worker never heard of, a thread whose
    statement failed). Each seen twice, a beat apart (a saga just dequeued is not driven
    yet for a moment), goes back on the queue (DBOS's resume), for whichever worker comes
    first; a thread of this one still holding it finds it taken at its next write."""

    def __init__(self, client: DBOSClient, name: str) -> None:
        self.client_for, self._name = client, name
        self._seen: set[str] = set()

    def resume(self) -> list[str]:
        pending = {status.workflow_id for status in self.client_for.list_workflows(
            status="PENDING", executor_id=self._name, queue_name=QUEUE, load_input=False, load_output=False)}
        lost = pending - DRIVING
        again, self._seen = sorted(lost & self._seen), lost - self._seen
        if again:
            self.client_for.resume_workflows(again, queue_name=QUEUE)
        return again


def pick_up_failed(db: sa.Engine, client: DBOSClient, outage_only: bool = True) -> list[str]:
    """The orders still in flight whose saga DBOS marked failed (with outage_only, only those
    an outage outlasting the limit failed), each given a new leg on the queue that a worker
    carries on from where its record stands. Exactly once however many look at once: under
    the order's row lock, only a saga that is still the order's current one is replaced."""
    failed = {status.workflow_id: status for status in client.list_workflows(
        status="ERROR", queue_name=QUEUE, load_input=True, load_output=outage_only)}
    orders = {str(status.input["args"][0]) for status in failed.values() if status.input}
    with db.connect() as connection:
        current = current_legs(connection, list(orders))
    picked = []
    for order_id, leg in current.items():
        status = failed.get(leg)  # the order's current saga, if it failed
        if status is None or (outage_only and not isinstance(status.error, OutageOutlasted)):
            continue
        with db.begin() as connection:
            stored = load_record(connection, order_id, lock=True)
            if current_legs(connection, [order_id]) != {order_id: leg}:
                continue  # settled, or picked up by another meanwhile
            assert stored is not None
            saved = save_record(connection, stored.record, None, new_leg=True)
            enqueue_leg(client, connection, leg.split("/", 1)[0], saved)
        picked.append(order_id)
    return sorted(picked)


def _hold_worker_id(url: str, name: str) -> sa.Connection | None:
    """A connection that holds the id's session-level advisory lock for this
    worker's life (None if a live worker holds it): recovery keys on the id, so two workers
    under one would resume each other's sagas. PostgreSQL releases the lock when the
    connection closes, so a worker killed outright frees its id at once."""
    holder = engine_for(url, pool_size=1)
    connection = holder.connect()
    if not _take_worker_id(connection, name):
        connection.close()
        holder.dispose()
        return None
    return connection


def _take_worker_id(connection: sa.Connection, name: str) -> bool:
    """Whether this session now holds the id's lock (the session's: it outlives the transaction)."""
    got = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(hashtext('ordersaga.worker:' || :id))"),
                                  {"id": name}).scalar_one())
    connection.commit()
    return got


def recover(url: str, lost: str) -> list[str]:
    """Hand the workflows a lost worker left PENDING to the live ones: each goes back on
    the queue (DBOS's resume), and whichever worker dequeues it first carries it on
    from its last completed step. The orders they drive, by id."""
    try:
        WORKER_ID.check(lost)
    except BadValue as bad:
        raise DatabaseError(str(bad)) from None
    prepare(url).dispose()
    client = client_for(url)
    try:
        register_queue(client)
        pending = client.list_workflows(status="PENDING", executor_id=lost, queue_name=QUEUE,
                                        load_input=True, load_output=False)
        if pending:
            client.resume_workflows([w.workflow_id for w in pending], queue_name=QUEUE)
        return sorted(str(w.input["args"][0]) if w.input else w.workflow_id for w in pending)
    finally:
        client.destroy()


def recover_failed(url: str) -> list[str]:
    """Put every order still in flight whose saga DBOS marked failed (whatever failed it) back
    on the queue, on a new leg: the orders, by id."""
    db = prepare(url)
    client = client_for(url)
    try:
        register_queue(client)
        return pick_up_failed(db, client, outage_only=False)
    finally:
        client.destroy()
        db.dispose()


def list_workers(url: str, silent_after_s: float | None = None) -> list[WorkerState]:
    """Every worker that has run on the database, by id, with its state (see heartbeat.state_of)."""
    db = prepare(url)
    try:
        with db.connect() as connection:
            return read_workers(connection, silent_after_s)
    finally:
        db.dispose()
