"""A worker process: DBOS launched under a stable executor id, dequeuing sagas; and the
hand-over of a lost worker's sagas to the live ones."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
from dataclasses import dataclass
from collections.abc import Callable

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, DBOSConfig

from actors.saga.settings import EngineSettings
from actors.postgres.engine import (APP, APP_VERSION, QUEUE, WORKER_CONCURRENCY, POLL_S, _client, _enqueue,
                                    prepare, register_queue)
from actors.postgres.outage import LIMIT_S, OutageOutlasted, is_disconnect, dbos_rides_out, watch
from actors.postgres.urls import display
from actors.postgres.saga_workflow import DRIVING, WorkerContext, install
from actors.postgres.store import current_legs, engine_for, load_record, save_record
from actors.saga.values import WORKER_ID, BadValue
from storage.errors import DatabaseError

BEAT_S = 5.0  # how often a worker writes its heartbeat
SILENT_AFTER_S = 30.0  # a worker that has not beaten for so long is shown silent
GRACE_S = 10.0  # how long a stopping worker lets its sagas in flight run on to a durable point


def run_worker(url: str, name: str, say: Callable[[str], None], stop: threading.Event,
               settings: EngineSettings = EngineSettings(), grace_s: float = GRACE_S,
               outage_limit_s: float = LIMIT_S) -> int | None:
    """Take sagas from the queue until stop is set (the caller sets it on a signal); then
    drain: take no new saga, give those in flight up to grace_s to finish, and return how
    many were handed back (left PENDING under the id, for the same again or `recover`; None
    if PostgreSQL is away, and they cannot be counted).
    say gets the lines a person reads: started, lost and regained the database.

    On launch DBOS first re-runs the workflows left PENDING under this executor id: a
    worker restarted with its id resumes its own sagas. Through an outage of PostgreSQL its
    sagas wait for up to outage_limit_s; one that waited longer is failed, and picked up again
    (a new leg on the queue) by whichever worker next sees the database.
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
    _first_beat(held, name)
    client = _client(url)
    beating = threading.Event()
    orphans = Orphans(client, name)

    def pick_up() -> None:
        pick_up_failed(db, client)
        orphans.resume()
    heart = threading.Thread(target=_beat, args=(held, name, beating, stop, pick_up),
                             name="ordersaga-heartbeat", daemon=True)
    install(WorkerContext(db=db, name=name, where=display(url), settings=settings))
    config: DBOSConfig = {"name": APP, "system_database_url": url, "executor_id": name,
                          "application_version": APP_VERSION, "log_level": "WARNING",
                          "max_executor_threads": WORKER_CONCURRENCY + 8,
                          # No ping before each use of a system-database connection (a round trip
                          # every time): DBOS retries a statement whose connection broke.
                          "db_engine_kwargs": {"pool_pre_ping": False}}
    dbos_rides_out()
    DBOS(config=config)
    try:
        DBOS.launch()
        # A queue is registered on a launched DBOS (3.4 keeps it in the system database).
        DBOS.register_queue(QUEUE, worker_concurrency=WORKER_CONCURRENCY, polling_interval_sec=POLL_S,
                            on_conflict="always_update")
        heart.start()
        say(f"worker {name} takes orders from {display(url)} (up to {WORKER_CONCURRENCY} at once); "
            "Ctrl-C stops it, and its sagas in flight resume when it starts again with this --id.")
        stop.wait()
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
        if heart.is_alive():
            heart.join()
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
        client = _client(url)
    except sa.exc.DBAPIError as error:
        if is_disconnect(error):
            return None
        raise
    try:
        return len(client.list_workflows(status="PENDING", executor_id=name, queue_name=QUEUE,
                                         load_input=False, load_output=False))
    finally:
        client.destroy()


def _beat(connection: sa.Connection, name: str, beating: threading.Event, stop: threading.Event,
          pick_up: Callable[[], object]) -> None:
    """The worker's heartbeat row, written now and every BEAT_S until `beating` is set (on the
    connection that holds its id: no other thread uses it meanwhile), each beat followed by a
    look for sagas an outage failed. Through an outage it keeps trying: the beat that gets
    through says the database is back, and first takes the id's lock again (PostgreSQL dropped
    it with the connection); if another worker took the id meanwhile, this one stops."""
    relock = False
    while not beating.wait(BEAT_S):
        try:
            if relock:
                if not _take_worker_id(connection, name):
                    watch.say(f"worker {name}: another worker took the id {name} while PostgreSQL was away; "
                              "this one stops.")
                    stop.set()
                    return
                relock = False
            with connection.begin():
                connection.execute(sa.text("UPDATE ordersaga.workers SET beat = now() WHERE id = :id"), {"id": name})
            watch.answered()
            pick_up()
        except sa.exc.DBAPIError as error:
            if not is_disconnect(error):
                raise
            watch.noticed(error)
            relock = True


def _first_beat(connection: sa.Connection, name: str) -> None:
    with connection.begin():
        connection.execute(sa.text(
            "INSERT INTO ordersaga.workers (id, started, beat, pid, host) VALUES (:id, now(), now(), :pid, :host) "
            "ON CONFLICT (id) DO UPDATE SET started = now(), beat = now(), pid = :pid, host = :host, stopped = NULL"),
            {"id": name, "pid": os.getpid(), "host": socket.gethostname()})


class Orphans:
    """The sagas DBOS counts as running on this worker that none of its threads drives: an
    outage lost them (a dequeue whose commit the worker never heard of, a thread whose
    statement failed). Each seen twice, a beat apart (a saga just dequeued is not driven
    yet for a moment), goes back on the queue (DBOS's resume), for whichever worker comes
    first; a thread of this one still holding it finds it taken at its next write."""

    def __init__(self, client: DBOSClient, name: str) -> None:
        self._client, self._name = client, name
        self._seen: set[str] = set()

    def resume(self) -> list[str]:
        pending = {status.workflow_id for status in self._client.list_workflows(
            status="PENDING", executor_id=self._name, queue_name=QUEUE, load_input=False, load_output=False)}
        lost = pending - DRIVING
        again, self._seen = sorted(lost & self._seen), lost - self._seen
        if again:
            self._client.resume_workflows(again, queue_name=QUEUE)
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
            _enqueue(client, connection, leg.split("/", 1)[0], saved)
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
    client = _client(url)
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
    client = _client(url)
    try:
        register_queue(client)
        return pick_up_failed(db, client, outage_only=False)
    finally:
        client.destroy()
        db.dispose()


@dataclass(frozen=True)
class WorkerState:
    """A worker as `ordersaga workers` shows it."""

    id: str
    state: str  # alive, silent or stopped
    last_beat: str  # ISO 8601, UTC
    beat_age_s: float
    in_flight: int  # its orders pending, running or compensating
    pid: int
    host: str
    started: str


def list_workers(url: str, silent_after_s: float = SILENT_AFTER_S) -> list[WorkerState]:
    """Every worker that has run on the database, by id, read with the database's clock."""
    db = prepare(url)
    try:
        with db.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT w.id, w.beat, extract(epoch FROM now() - w.beat), w.stopped IS NOT NULL, w.pid, w.host, "
                "w.started, (SELECT count(*) FROM ordersaga.orders o WHERE o.worker = w.id "
                "AND o.status IN ('pending', 'running', 'compensating')) "
                "FROM ordersaga.workers w ORDER BY w.id")).all()
    finally:
        db.dispose()
    return [WorkerState(id=row[0], state="stopped" if row[3] else "alive" if row[2] <= silent_after_s else "silent",
                        last_beat=row[1].isoformat(), beat_age_s=float(row[2]), in_flight=int(row[7]), pid=row[4],
                        host=row[5], started=row[6].isoformat()) for row in rows]
