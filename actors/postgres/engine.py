"""The PostgreSQL runtime's face to the CLI and the dashboard: the methods they call on
`actors.embedded.engine.Engine`, carried out on the shared database.

This process runs no saga: the worker processes do (`ordersaga worker`). It writes
operator actions (a retry or cancel as a transition of the record, stored in the same
transaction as the enqueue of the workflow that carries it out), reads the world, and
waits by polling. Any number of these may be open on one database at once.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import time
import uuid
from collections.abc import Callable, Collection
from typing import Any

import sqlalchemy as sa

from actors.events import EventHub, OrderUpdate, Subscriber
from actors.follow_ups import FollowUps
from actors.mapper import Document
from actors.operators import acting
from actors.postgres.heartbeat import read_workers
from actors.postgres.outage import OutageOutlasted, dbos_rides_out, watch
from actors.postgres.queue import POLL_S, client_for, enqueue_leg, prepare, register_queue, unreachable
from actors.postgres.schema import empty_world
from actors.postgres.store import (
    Meta,
    Stored,
    changed_since,
    credit,
    current_run,
    current_snapshot,
    engine_for,
    has_tables,
    load_record,
    not_an_ordersaga_database,
    read_meta,
    read_records,
    read_world,
    save_record,
    seed,
    unsettled_count,
    write_meta,
)
from actors.postgres.urls import display
from actors.reading.snapshot import OrderSummary, WorldSnapshot, record_of, summary_of
from actors.reading.stream import WorldStream, stream_of
from actors.reading.workers import WorkerState
from actors.saga import corrections, operators, replies, retrying
from actors.saga import rules as saga_logic
from actors.saga.domain import Correction, OperatorAction, OrderRecord, now
from actors.saga.errors import Refused
from actors.saga.operators import Credit, waits_on
from actors.saga.preflight import CauseCheck, CauseUnresolved, Supplies, cause_check
from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings
from storage.errors import DatabaseError, StorageFailed

_NO_WORKER_HINT_S = 10.0


def create_database(url: str, scenario: Scenario, replace: bool = False) -> None:
    """Write a scenario's world into the database and enqueue every order, in one transaction."""
    db = prepare(url)
    client = client_for(url)
    try:
        register_queue(client)
        with db.begin() as connection:
            connection.execute(sa.text("LOCK TABLE ordersaga.meta"))  # one loader at a time
            if read_records(connection) or read_meta(connection, display(url)).scenario is not None:
                if not replace:
                    raise DatabaseError(f"{display(url)}: a database already exists there; "
                                        "pass --replace to start over.")
                empty_world(connection)  # the old run's workflows find their run gone and stop
            run = seed(connection, scenario)
            for stored in read_records(connection):
                enqueue_leg(client, connection, run, stored)
    finally:
        client.destroy()
        db.dispose()


def read_snapshot(url: str) -> WorldSnapshot:
    """The world as stored now, read in one consistent transaction."""
    db = engine_for(url, pool_size=1)
    try:
        with db.connect() as connection:
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            if not has_tables(connection):
                raise not_an_ordersaga_database(display(url))
            return read_world(connection, display(url))
    except sa.exc.DBAPIError as error:
        raise unreachable(url, error) from None
    finally:
        db.dispose()


class PostgresEngine:
    """Engine's methods on a shared PostgreSQL database; workers run the sagas."""

    torn_bytes = 0  # nothing is cut off: PostgreSQL keeps its own log

    def __init__(self, url: str, settings: EngineSettings = EngineSettings()) -> None:
        self.path = display(url)
        self._url = url
        self.settings = settings
        self._db = prepare(url)
        # Reached once: from now on a PostgreSQL away is waited for (said once), not an error.
        watch.configure(url)
        dbos_rides_out()
        meta = watch.ride_out(self._read_meta)
        self.scenario: Scenario | None = meta.scenario
        self._run = meta.run
        self._follow_up_progress = meta.follow_ups
        self._client = watch.ride_out(functools.partial(client_for, url))
        self.hub = EventHub()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._on_replaced: list[Callable[[], None]] = []
        watch.ride_out(functools.partial(register_queue, self._client))
        watch.ride_out(self._enqueue_unsettled)

    def _read_meta(self) -> Meta:
        with self._db.connect() as connection:
            meta = read_meta(connection, self.path) if has_tables(connection) else None
        if meta is None or meta.scenario is None:
            self._db.dispose()
            raise not_an_ordersaga_database(self.path)
        return meta

    @classmethod
    def open(cls, url: str, **kwargs: Any) -> PostgresEngine:
        kwargs.pop("on_crash", None)  # a crash fault kills the worker that meets it
        return cls(url, **kwargs)

    def _enqueue_unsettled(self) -> None:
        """Every order not settled has its workflow: one lost between a transition and its
        enqueue (a process killed in between) is enqueued again; the others are found there."""
        with self._db.begin() as connection:
            for stored in read_records(connection):
                if not stored.record.status.settled:
                    enqueue_leg(self._client, connection, self._run, stored)

    # -- operator actions ---------------------------------------------------------
    def retry(self, order_id: str, force: bool = False, by: str | None = None) -> str:
        if not force:
            check = self.check_cause(order_id)
            if check is not None and not check.resolved:
                raise CauseUnresolved(order_id, check)
        who = acting(by)
        before, transition = self._transition(order_id, lambda record, at: retrying.retry(record, at, who))
        return replies.retried(before, transition)

    def cancel(self, order_id: str, by: str | None = None) -> str:
        who = acting(by)
        self._transition(order_id, lambda record, at: retrying.cancel(record, at, who))
        return replies.cancelling(order_id)

    def edit(self, change: Correction, by: str | None = None) -> str:
        who = acting(by)
        _, transition = self._transition(change.order, lambda record, at: corrections.edit(record, change, at, who),
                                         enqueue=False)
        return replies.edited(transition.record)

    def _transition(self, order_id: str, rule: Callable[[OrderRecord, Any], saga_logic.Transition],
                    enqueue: bool = True) -> tuple[OrderRecord, saga_logic.Transition]:
        """Apply an operator's rule to the record and enqueue a new leg's workflow (for a rule
        that starts one), in one transaction: the record before, and the transition. Run again
        if PostgreSQL went away: one whose commit was lost finds its rule applied, and refuses."""
        return watch.ride_out(lambda: self._transition_once(order_id, rule, enqueue))

    def _transition_once(self, order_id: str, rule: Callable[[OrderRecord, Any], saga_logic.Transition],
                         enqueue: bool) -> tuple[OrderRecord, saga_logic.Transition]:
        with self._db.begin() as connection:
            stored = load_record(connection, order_id, lock=True)
            if stored is None:
                raise Refused(replies.no_order(order_id))
            transition = rule(stored.record, now())
            saved = save_record(connection, transition.record, None, new_leg=enqueue)
            if enqueue:
                enqueue_leg(self._client, connection, self._run, saved)
        return stored.record, transition

    def top_up(self, customer: str, amount_cents: int, key: str | None = None, by: str | None = None) -> str:
        balance = self._credit("accounts", Credit(OperatorAction.TOP_UP, customer, amount_cents, acting(by), now()),
                               key)
        if balance is None:
            raise Refused(replies.no_customer(customer))
        return replies.topped_up(customer, amount_cents, balance)

    def restock(self, sku: str, quantity: int, key: str | None = None, by: str | None = None) -> str:
        available = self._credit("stock", Credit(OperatorAction.RESTOCK, sku, quantity, acting(by), now()), key)
        if available is None:
            raise Refused(replies.no_sku(sku))
        return replies.restocked(sku, quantity, available)

    def _credit(self, table: str, made: Credit, key: str | None) -> int | None:
        """The credit with who made it and the orders waiting on it, in one transaction with
        the event it adds to each of their timelines; run again if PostgreSQL went away (one
        key however many times it is sent: added once)."""
        keyed = key or f"operator/{uuid.uuid4()}"

        def once() -> int | None:
            with self._db.begin() as connection:
                waiting = [stored.record.order.id for stored in read_records(connection)
                           if waits_on(stored.record, made)]
                done = credit(connection, table, made.target, made.amount, keyed, made.mark(waiting))
                if done is None:
                    return None
                level, new = done
                for order_id in waiting if new else []:
                    stored = load_record(connection, order_id, lock=True)
                    if stored is not None:
                        save_record(connection, operators.credited(stored.record, made).record, None, new_leg=False)
                return level
        return watch.ride_out(once)

    def run_follow_ups(self, report: Callable[[str], None], timeout_s: float = 600) -> None:
        if self.scenario is not None:
            FollowUps(self, self.scenario, self._follow_up_progress).run(report, timeout_s)

    def store_durably(self, documents: list[Document]) -> None:
        def once() -> None:
            with self._db.begin() as connection:
                for name, body in documents:
                    write_meta(connection, name, body)
        watch.ride_out(once)

    def restart_coordinator(self) -> None:
        raise Refused("On PostgreSQL the workers run the sagas: kill -9 a worker to see recovery, then start "
                      "it again under its --id, or `ordersaga recover --from` it.")

    def on_storage_failure(self, listener: Callable[[StorageFailed], None]) -> None:
        """PostgreSQL reports a failed write to the one who made it, as an exception."""

    def on_database_news(self, listener: Callable[[str], None]) -> None:
        """Tell listener (on any thread) the lines about PostgreSQL going away and coming back,
        rather than stderr (a dashboard shows them on its event line); then, as a person sees why,
        calls wait for it as long as it takes."""
        watch.configure(self._url, limit_s=math.inf, say=listener)

    # -- reading -----------------------------------------------------------------------
    def wait_until_settled(self, timeout_s: float = 600, poll_s: float = POLL_S,
                           progress: Callable[[int, int], None] | None = None) -> None:
        """Block until no order is pending, running or compensating: the workers move them.

        If nothing moves for a while, one line on stderr says that a worker is needed.
        """
        deadline = time.monotonic() + timeout_s
        last_change, quiet_since, hinted = -1, time.monotonic(), False
        while True:
            unsettled, total, change = watch.ride_out(self._unsettled)
            if progress is not None:
                progress(total - unsettled, total)
            if unsettled == 0:
                return
            if change != last_change:
                last_change, quiet_since = change, time.monotonic()
            elif not hinted and time.monotonic() - quiet_since > _NO_WORKER_HINT_S:
                hinted = True
                print(f"ordersaga: {unsettled} orders wait for a worker: start one with `ordersaga worker "
                      f"--db URL --id NAME`, or hand a lost worker's orders on with `ordersaga recover "
                      f"--db URL --from NAME`.", file=sys.stderr, flush=True)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{unsettled} orders still in flight after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def _unsettled(self) -> tuple[int, int, int]:
        with self._db.connect() as connection:
            return unsettled_count(connection)

    def records(self) -> list[OrderRecord]:
        return watch.ride_out(self._records)

    def _records(self) -> list[OrderRecord]:
        with self._db.connect() as connection:
            return [stored.record for stored in read_records(connection)]

    def live_records(self) -> list[OrderRecord]:
        """Every order: nothing is archived in PostgreSQL."""
        return self.records()

    def find(self, order_id: str) -> OrderRecord | None:
        def once() -> Stored | None:
            with self._db.connect() as connection:
                return load_record(connection, order_id)
        stored = watch.ride_out(once)
        return None if stored is None else stored.record

    def summaries(self) -> list[OrderSummary]:
        snapshot = self.snapshot()
        return [summary_of(record, snapshot.workers.get(record.order.id)) for record in snapshot.records]

    def check_cause(self, order_id: str) -> CauseCheck | None:
        return cause_check(self.record(order_id), self.supplies())

    def supplies(self) -> Supplies:
        snapshot = self.snapshot()
        return Supplies(stock={sku: level["available"] for sku, level in snapshot.inventory["stock"].items()},
                        balances={customer: account["balance_cents"]
                                  for customer, account in snapshot.payment["accounts"].items()})

    def record(self, order_id: str) -> OrderRecord:
        return record_of(self.records(), order_id)

    def snapshot(self) -> WorldSnapshot:
        """The world in one consistent read, with the worker that last moved each order."""
        return watch.ride_out(self._snapshot)

    def _snapshot(self) -> WorldSnapshot:
        with self._db.connect() as connection:
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            return read_world(connection, self.path)

    def stream(self, archived: Collection[str] | None = None) -> WorldStream:
        """The world in one consistent read, as a stream (nothing here is archived)."""
        return stream_of(self.snapshot())

    # -- updates for the dashboard ---------------------------------------------------------
    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Hear every transition a worker stores, polled from the orders' change numbers."""
        unsubscribe = self.hub.subscribe(subscriber)
        self._start_watching()
        return unsubscribe

    def _start_watching(self) -> None:
        """From what the database holds now: a caller that reads the orders after this hears
        every change its read may have missed (again, perhaps, which changes nothing)."""
        if self._watcher is None:
            seen = watch.ride_out(self._now)
            self._watcher = threading.Thread(target=self._watch, args=(seen,), name="ordersaga-watch", daemon=True)
            self._watcher.start()

    def _now(self) -> str:
        with self._db.connect() as connection:
            return current_snapshot(connection)

    def _watch(self, seen: str | None) -> None:
        """Publish each transition as it is stored, one snapshot per poll, until closed; through
        an outage, for as long as it lasts (a dashboard waits for its database, said once,
        rather than close). Once another process replaced the world, tell the listeners and
        stop, since what follows is another world's and this engine's run is gone."""
        try:
            while not self._stop.wait(POLL_S):
                seen = watch.ride_out(functools.partial(self._publish_since, seen), limit_s=math.inf,
                                      until=self._stop)
                if seen is None:
                    for listener in list(self._on_replaced):
                        listener()
                    return
        except OutageOutlasted:
            return  # closed while PostgreSQL was away

    def _publish_since(self, seen: str | None) -> str | None:
        """The changes the snapshot `seen` did not show published, read in one snapshot with
        the run; that snapshot (None once the world was replaced)."""
        assert seen is not None
        with self._db.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            now = current_snapshot(connection)
            if current_run(connection) != self._run:
                return None
            for record, worker in changed_since(connection, seen):
                self.hub.publish(OrderUpdate(record=record, worker=worker))
        return now

    def on_replaced(self, listener: Callable[[], None]) -> None:
        """Call listener (on the watching thread) once another process replaced the world this
        engine opened (`ordersaga run --replace`): reopen to follow the new one."""
        self._on_replaced.append(listener)
        self._start_watching()

    def workers(self) -> list[WorkerState]:
        """The workers that have run on this database, with their state (DatabaseError if
        PostgreSQL cannot be reached: a dashboard keeps what it showed)."""
        try:
            with self._db.connect() as connection:
                return read_workers(connection)
        except sa.exc.DBAPIError as error:
            raise unreachable(self._url, error) from None

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
        self._client.destroy()
        self._db.dispose()

    def __enter__(self) -> PostgresEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
