"""Order records, the scenario and the participants' tables, read and written in
the caller's transaction; and the WorldSnapshot built from them, shaped as the
embedded participants' `report_of`, so the report and the audit read it unchanged."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import sqlalchemy as sa

from actors.mapper import META, FollowUpProgress, meta_document, read_follow_ups, read_scenario
from actors.postgres.outage import is_disconnect
from actors.postgres.schema import SCHEMA
from actors.reading.snapshot import WorldSnapshot, order_sort_key
from actors.saga import ledger
from actors.saga.documents import InventoryReport, LedgerRow, OperatorMark, PaymentReport, ShippingReport
from actors.saga.domain import STORED, Action, OrderRecord, SagaStatus, Service
from actors.saga.plan import definition
from actors.saga.scenario import Scenario
from actors.saga.seeding import competitors_before, world_of
from storage.errors import DatabaseError
from storage.store import DocumentStore

RUN = "run"  # the meta row naming this world's run: workflow ids carry it
DBOS_SCHEMA = "dbos"  # DBOS's system tables, in the same database (its default schema)


def engine_for(url: str, pool_size: int = 5) -> sa.Engine:
    """A SQLAlchemy engine on the URL, through psycopg 3 (DBOS's own driver). No ping before
    each use (a round trip every time): a connection that broke fails its statement, the
    pool drops it, and the step is run again."""
    rest = url.partition("://")[2]
    return sa.create_engine(f"postgresql+psycopg://{rest}", pool_size=pool_size, max_overflow=pool_size)


@functools.cache
def _q(sql: str) -> sa.TextClause:
    """The statement, built once: building it and its cache key at every execution cost a
    worker about a tenth of its CPU."""
    return sa.text(sql.replace("$S", SCHEMA).replace("$D", DBOS_SCHEMA))


@functools.cache
def _driver_sql(sql: str) -> str:
    """The statement in psycopg's own form (named parameters as %(name)s)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("$S", SCHEMA).replace("$D", DBOS_SCHEMA))


class Rows:
    """A statement's result, read as SQLAlchemy's Result is read here."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def all(self) -> list[Any]:
        return self._cursor.fetchall()

    def first(self) -> Any:
        return self._cursor.fetchone()

    def scalar(self) -> Any:
        row = self._cursor.fetchone()
        return None if row is None else row[0]

    def one(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise sa.exc.NoResultFound("No row was found when one was required")
        return row

    def scalar_one(self) -> Any:
        return self.one()[0]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


def run(connection: sa.Connection, sql: str, values: Mapping[str, Any] | None = None) -> Rows:
    """One statement of a saga's transaction, sent through psycopg itself on the caller's
    SQLAlchemy connection and transaction: SQLAlchemy's execute added about 0.13 ms of the
    worker's CPU to each of a saga's twenty-odd statements, a third of its cost. Its errors
    are SQLAlchemy's, as if it had run the statement: a connection that failed because the
    database went away is invalidated, so the pool drops it rather than reset it (a rollback
    on a dead socket, which SQLAlchemy logs as a traceback)."""
    driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    try:
        return Rows(driver.execute(_driver_sql(sql), values))
    except psycopg.Error as error:
        failed = sa.exc.DBAPIError.instance(sql, values, error, psycopg.Error)
        if driver.broken or is_disconnect(failed):
            connection.invalidate()
            failed.connection_invalidated = True
        raise failed from error


# -- order records ------------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    """An order's record as stored, how many transitions it has had, the worker that made
    the last, and which leg drives it (each workflow an operator starts is a new leg)."""

    record: OrderRecord
    version: int
    worker: str | None = None
    leg: int = 0


def insert_record(connection: sa.Connection, record: OrderRecord) -> None:
    run(connection, "INSERT INTO $S.orders (id, record, status, changed) "
                    "VALUES (:id, :record, :status, nextval('$S.changes'))",
        {"id": record.order.id, "record": record.model_dump_json(), "status": record.status.value})


def load_record(connection: sa.Connection, order_id: str, lock: bool = False) -> Stored | None:
    """The order's record; with lock, held until the transaction ends (one writer per order)."""
    row = run(connection, "SELECT record::text, version, worker, leg FROM $S.orders WHERE id = :id"
                          + (" FOR UPDATE" if lock else ""), {"id": order_id}).first()
    return None if row is None else Stored(OrderRecord.model_validate_json(row[0], context=STORED),
                                           row[1], row[2], row[3])


@dataclass(frozen=True)
class Fence:
    """A workflow and the ownership token DBOS wrote when this execution claimed it. Handing
    the workflow on (a takeover, `recover`) clears the token and the next claim writes
    another, so an execution on a worker declared lost no longer matches."""

    workflow: str
    token: str


class Fenced(Exception):
    """The workflow was handed to another execution: this one must stop driving it."""


def save_record(connection: sa.Connection, record: OrderRecord, worker: str | None,
                transitions: int = 1, new_leg: bool = False, fence: Fence | None = None) -> Stored:
    """Store the record after `transitions` transitions made in the caller's transaction (the
    row must be locked); new_leg when it starts a new workflow.

    With a fence, only while that execution still owns its workflow, or Fenced (the caller's
    transaction, its effect with it, is rolled back): the check shares the workflow's row
    lock, so a hand-over waits for this transaction rather than landing inside it."""
    owned = "" if fence is None else (" AND EXISTS (SELECT FROM $D.workflow_status WHERE workflow_uuid = "
                                      ":workflow AND owner_xid = :token FOR SHARE)")
    row = run(
        connection,
        "UPDATE $S.orders SET record = :record, status = :status, version = version + :transitions, "
        "worker = coalesce(:worker, worker), changed = nextval('$S.changes'), leg = leg + :new_leg, "
        "written = pg_current_xact_id() "
        "WHERE id = :id" + owned + " RETURNING version, leg",
        {"id": record.order.id, "record": record.model_dump_json(), "status": record.status.value,
         "worker": worker, "new_leg": int(new_leg), "transitions": transitions,
         **({} if fence is None else {"workflow": fence.workflow, "token": fence.token})}).first()
    if row is None:
        raise Fenced(f"{record.order.id}: its workflow was handed to another worker")
    return Stored(record, int(row[0]), worker, int(row[1]))


def read_records(connection: sa.Connection) -> list[Stored]:
    """Every order, in the order they last changed (as seeded: the scenario's)."""
    rows = connection.execute(_q("SELECT record, version, worker, leg FROM $S.orders ORDER BY changed")).all()
    return [Stored(OrderRecord.model_validate(row[0], context=STORED), row[1], row[2], row[3]) for row in rows]


def current_snapshot(connection: sa.Connection) -> str:
    """Which transactions' writes this one sees: under REPEATABLE READ, taken by its first
    statement and kept to its end (pg_current_snapshot's text)."""
    return str(connection.execute(_q("SELECT pg_current_snapshot()")).scalar())


def changed_since(connection: sa.Connection, seen: str) -> list[tuple[OrderRecord, str | None]]:
    """The records whose last write the snapshot `seen` did not show, in the order they
    changed, each with the worker that last moved it. By snapshot rather than by change
    number: a transaction may commit after one that took a later number, and a follower that
    had moved past that number would never hear of it."""
    rows = connection.execute(_q("SELECT record, worker FROM $S.orders "
                                 "WHERE written >= pg_snapshot_xmin(CAST(:seen AS pg_snapshot)) "
                                 "AND NOT pg_visible_in_snapshot(written, CAST(:seen AS pg_snapshot)) "
                                 "ORDER BY changed"), {"seen": seen}).all()
    return [(OrderRecord.model_validate(row[0], context=STORED), row[1]) for row in rows]


def current_run(connection: sa.Connection) -> str:
    """The id of the run the database holds now: another process that loads a scenario
    (`run --replace`) gives it a new one."""
    return str(connection.execute(_q("SELECT body->>'id' FROM $S.meta WHERE name = :run"),
                                  {"run": RUN}).scalar() or "")


def unsettled_count(connection: sa.Connection) -> tuple[int, int, int]:
    """(orders not settled, all orders, the latest change number)."""
    settled = [status.value for status in SagaStatus if status.settled]
    row = connection.execute(_q("SELECT count(*) FILTER (WHERE status <> ALL(:settled)), count(*), "
                                "coalesce(max(changed), 0) FROM $S.orders"),
                             {"settled": settled}).one()
    return int(row[0]), int(row[1]), int(row[2])


def current_legs(connection: sa.Connection, order_ids: Sequence[str]) -> dict[str, str]:
    """The workflow that drives each of these orders now (see workflow_id), by order id, for
    those in flight; read without a lock, to be checked again under one."""
    settled = [status.value for status in SagaStatus if status.settled]
    rows = connection.execute(_q("SELECT id, leg, meta.body->>'id' FROM $S.orders, $S.meta "
                                 "WHERE meta.name = :run AND id = ANY(:ids) AND status <> ALL(:settled)"),
                              {"run": RUN, "ids": list(order_ids), "settled": settled}).all()
    return {row[0]: _leg_id(row[2], row[0], row[1]) for row in rows}


def workflow_id(run: str, stored: Stored) -> str:
    """The DBOS workflow that drives the order now: its leg, bumped by every operator action
    that starts one, so enqueueing it again finds the one already there, and a retry or a
    cancel never reuses the id of a workflow that already finished."""
    return _leg_id(run, stored.record.order.id, stored.leg)


def _leg_id(run: str, order_id: str, leg: int) -> str:
    return f"{run}/{order_id}/{leg}"


# -- the scenario and its follow-ups --------------------------------------------------
class _MetaView:
    """The META document as `actors.mapper` reads it from a DocumentStore."""

    def __init__(self, path: str, doc: dict[str, Any] | None) -> None:
        self.path, self._doc = path, doc

    def peek(self, name: str) -> dict[str, Any] | None:
        return self._doc if name == META else None


@dataclass(frozen=True)
class Meta:
    scenario: Scenario | None
    follow_ups: FollowUpProgress
    run: str
    # Per order and step, the orders listed before it that it competes with (seeding's
    # competitors_before, kept from the scenario's orders, which the META row leaves out).
    turns: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


def read_meta(connection: sa.Connection, where: str) -> Meta:
    rows: dict[str, Any] = {name: body for name, body in connection.execute(_q("SELECT name, body FROM $S.meta"))}
    view = cast(DocumentStore, _MetaView(where, rows.get(META)))
    run = rows.get(RUN) or {}
    turns = {order: {step: tuple(earlier) for step, earlier in steps.items()}
             for order, steps in run.get("turns", {}).items()}
    return Meta(read_scenario(view), read_follow_ups(view), str(run.get("id", "")), turns)


def write_meta(connection: sa.Connection, name: str, body: dict[str, Any]) -> None:
    connection.execute(_q("INSERT INTO $S.meta (name, body) VALUES (:name, :body) "
                          "ON CONFLICT (name) DO UPDATE SET body = excluded.body"),
                       {"name": name, "body": json.dumps(body)})


def seed(connection: sa.Connection, scenario: Scenario) -> str:
    """Write a scenario's world into empty tables, every order pending; its new run id."""
    run = uuid.uuid4().hex[:12]
    world = world_of(scenario)
    write_meta(connection, *meta_document(scenario))
    write_meta(connection, RUN, {"id": run, "turns": competitors_before(scenario)})
    for sku, quantity in world.stock.items():
        connection.execute(_q("INSERT INTO $S.stock VALUES (:sku, :n, :n, 0)"), {"sku": sku, "n": quantity})
    for customer, cents in world.balances.items():
        connection.execute(_q("INSERT INTO $S.accounts VALUES (:customer, :cents, :cents)"),
                           {"customer": customer, "cents": cents})
    # Made now, so a fault's firing locks its row: two commands firing at once cannot both
    # read a count that is not there yet and fire one time too many.
    for service, counts in world.faults.items():
        connection.execute(_q("INSERT INTO $S.faults VALUES (:s, :r)"),
                           {"s": service.value, "r": json.dumps(counts)})
    for record in world.records:
        insert_record(connection, record)
    return run


# -- operator credits -------------------------------------------------------------------
def credit(connection: sa.Connection, table: str, target: str, amount: int, key: str,
           mark: OperatorMark | None = None) -> tuple[int, bool] | None:
    """Add stock or money once per key, with who made it: the level after it and whether the
    key was new; None for an unknown sku or customer."""
    kind, level, log = (("sku", "available", "restocks") if table == "stock"
                        else ("customer", "balance_cents", "top_ups"))
    current = connection.execute(_q(f"SELECT {level} FROM $S.{table} WHERE {kind} = :target FOR UPDATE"),
                                 {"target": target}).scalar()
    if current is None:
        return None
    added = connection.execute(_q(f"INSERT INTO $S.{log} VALUES (:key, :target, :amount, CAST(:mark AS jsonb)) "
                                  "ON CONFLICT (key) DO NOTHING"),
                               {"key": key, "target": target, "amount": amount,
                                "mark": None if mark is None else json.dumps(mark)}).rowcount
    if not added:
        return int(current), False
    return int(connection.execute(_q(f"UPDATE $S.{table} SET {level} = {level} + :amount "
                                     f"WHERE {kind} = :target RETURNING {level}"),
                                  {"amount": amount, "target": target}).scalar_one()), True


def entry_of_rows(actions: Mapping[str, tuple[Any, ...]]) -> ledger.LedgerEntry | None:
    """The ledger's entry from the rows of an effect's execution and compensation."""
    executed, compensated = actions.get(Action.EXECUTE.value), actions.get(Action.COMPENSATE.value)
    if executed is not None:
        ok, _, reason, recoverable, shortfall = executed
        if not ok:
            return ledger.LedgerEntry(ledger.FAILED, reason, recoverable, shortfall)
        return ledger.LedgerEntry(ledger.COMPENSATED if compensated is not None else ledger.APPLIED)
    return None if compensated is None else ledger.LedgerEntry(ledger.FENCED)



# -- the world, as the embedded participants report it ------------------------------
def _ledger(rows: Sequence[Any]) -> dict[Service, list[LedgerRow]]:
    """Each effect's ledger entry, from the rows of its two actions, as the reports list them."""
    effects: dict[tuple[str, str, int], dict[str, tuple[Any, ...]]] = {}
    for order_id, step, attempt, action, *answer in rows:
        effects.setdefault((order_id, step, attempt), {})[action] = tuple(answer)
    ledgers: dict[Service, list[LedgerRow]] = {service: [] for service in Service}
    for (order_id, step, attempt), actions in sorted(effects.items()):
        entry = entry_of_rows(actions)
        if entry is not None:
            ledgers[definition(step).service].append(entry.row(order_id, f"{order_id}/{step}/{attempt}"))
    return ledgers


def read_world(connection: sa.Connection, where: str) -> WorldSnapshot:
    """Every order and participant table at one moment (one REPEATABLE READ transaction),
    with the worker that last moved each order. The scenario is read first, as a loader takes
    it first (`run --replace` locks it, then empties the rest): a reader that took the orders
    first would wait for the loader while holding what the loader waits for."""
    meta = read_meta(connection, where)
    stored = read_records(connection)
    restocks: dict[str, dict[str, int]] = {}
    marks: dict[str, dict[str, dict[str, OperatorMark]]] = {"restocks": {}, "top_ups": {}}
    for key, sku, quantity, mark in connection.execute(_q("SELECT key, sku, quantity, mark FROM $S.restocks")):
        restocks.setdefault(sku, {})[key] = quantity
        if mark is not None:
            marks["restocks"].setdefault(sku, {})[key] = mark
    top_ups: dict[str, dict[str, int]] = {}
    for key, customer, cents, mark in connection.execute(
            _q("SELECT key, customer, amount_cents, mark FROM $S.top_ups")):
        top_ups.setdefault(customer, {})[key] = cents
        if mark is not None:
            marks["top_ups"].setdefault(customer, {})[key] = mark
    ledgers = _ledger(connection.execute(_q(
        "SELECT order_id, step, attempt, action, ok, undid, reason, recoverable, shortfall "
        "FROM $S.ledger")).all())
    inventory: InventoryReport = {
        "stock": {sku: {"initial": initial, "available": available, "reserved": reserved,
                        "restocks": restocks.get(sku, {})}
                  for sku, initial, available, reserved in connection.execute(
                      _q("SELECT sku, initial, available, reserved FROM $S.stock ORDER BY sku"))},
        "reservations": [{"order": order_id, "effect": effect, "items": items, "status": status}
                         for effect, order_id, items, status in connection.execute(
                             _q("SELECT effect, order_id, items, status FROM $S.reservations ORDER BY effect"))],
        "ledger": ledgers[Service.INVENTORY]}
    payment: PaymentReport = {
        "accounts": {customer: {"initial_cents": initial, "balance_cents": balance,
                                "top_ups": top_ups.get(customer, {})}
                     for customer, initial, balance in connection.execute(
                         _q("SELECT customer, initial_cents, balance_cents FROM $S.accounts ORDER BY customer"))},
        "charges": [{"order": order_id, "effect": effect, "amount_cents": cents, "status": status}
                    for effect, order_id, cents, status in connection.execute(
                        _q("SELECT effect, order_id, amount_cents, status FROM $S.charges ORDER BY effect"))],
        "ledger": ledgers[Service.PAYMENT]}
    for sku, made in marks["restocks"].items():
        inventory["stock"][sku]["restocked_by"] = made
    for customer, made in marks["top_ups"].items():
        payment["accounts"][customer]["topped_up_by"] = made
    shipping: ShippingReport = {
        "shipments": [{"order": order_id, "effect": effect, "address": address, "status": status}
                      for effect, order_id, address, status in connection.execute(
                          _q("SELECT effect, order_id, address, status FROM $S.shipments ORDER BY effect"))],
        "ledger": ledgers[Service.SHIPPING]}
    records = sorted((s.record for s in stored), key=lambda r: order_sort_key(r.order.id))
    return WorldSnapshot(scenario=meta.scenario, records=records, inventory=inventory, payment=payment,
                         shipping=shipping, workers={s.record.order.id: s.worker for s in stored if s.worker})


def has_tables(connection: sa.Connection) -> bool:
    return connection.execute(sa.text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.meta"}).scalar() is not None


def not_an_ordersaga_database(where: str) -> DatabaseError:
    return DatabaseError(f"{where}: holds no ordersaga tables yet; `ordersaga run SCENARIO --db URL` "
                         "creates them.")
