"""The application's own tables (schema `ordersaga`), beside DBOS's system tables
(schema `dbos`) in the same database, so a transition and the enqueue of the
workflow that carries it out can commit together."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA = "ordersaga"

# One statement per table; `IF NOT EXISTS` so every worker and command can ensure them.
_TABLES = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    # The scenario, its run id and how far its follow-ups went (the META document).
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (
        name text PRIMARY KEY, body jsonb NOT NULL)""",
    # Each order's record as OrderRecord.model_dump(mode="json"); version counts its
    # transitions, so a step that DBOS runs again finds its transition already made.
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.orders (
        id text PRIMARY KEY, record jsonb NOT NULL, status text NOT NULL,
        version integer NOT NULL DEFAULT 0, worker text,
        changed bigint NOT NULL DEFAULT 0, leg integer NOT NULL DEFAULT 0,
        written xid8 NOT NULL DEFAULT pg_current_xact_id())""",
    f"CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.changes",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.stock (
        sku text PRIMARY KEY, initial integer NOT NULL, available integer NOT NULL,
        reserved integer NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.restocks (
        key text PRIMARY KEY, sku text NOT NULL REFERENCES {SCHEMA}.stock, quantity integer NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.accounts (
        customer text PRIMARY KEY, initial_cents bigint NOT NULL, balance_cents bigint NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.top_ups (
        key text PRIMARY KEY, customer text NOT NULL REFERENCES {SCHEMA}.accounts,
        amount_cents bigint NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.reservations (
        effect text PRIMARY KEY, order_id text NOT NULL, items jsonb NOT NULL, status text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.charges (
        effect text PRIMARY KEY, order_id text NOT NULL, amount_cents bigint NOT NULL,
        status text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.shipments (
        effect text PRIMARY KEY, order_id text NOT NULL, address text NOT NULL, status text NOT NULL)""",
    # What each command did, under its idempotency key, written in the transaction of its
    # effect: an execution that applied or failed (with the answer it was given), a
    # compensation that undid it or fenced a key that never arrived.
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.ledger (
        order_id text NOT NULL, step text NOT NULL, attempt integer NOT NULL, action text NOT NULL,
        ok boolean NOT NULL, undid boolean NOT NULL DEFAULT false, reason text NOT NULL DEFAULT '',
        recoverable boolean NOT NULL DEFAULT true, shortfall boolean NOT NULL DEFAULT false,
        PRIMARY KEY (order_id, step, attempt, action))""",
    # Each worker that has run here: its heartbeat, and a stopped mark on a clean exit; how long
    # it may be silent before a live worker takes its sagas over (its --takeover-after), and
    # when and by whom that was done. Kept when a scenario replaces the world (not in _WORLD):
    # the workers outlive any run.
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.workers (
        id text PRIMARY KEY, started timestamptz NOT NULL, beat timestamptz NOT NULL,
        pid integer NOT NULL, host text NOT NULL, stopped timestamptz,
        lost_after real NOT NULL DEFAULT 30, taken timestamptz, taken_by text,
        handed integer NOT NULL DEFAULT 0)""",
    # How many times each scripted fault may still fire, per service (FaultBook's document).
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.faults (
        service text PRIMARY KEY, remaining jsonb NOT NULL)""",
)

# Columns added since the first release, to a database made before them. Added only where
# missing: ALTER TABLE locks the whole table even when it changes nothing.
_ADDED = (
    # Which workflow drives the order: bumped by each operator action that starts one.
    ("orders", "leg", "integer NOT NULL DEFAULT 0"),
    # A failed execution's answer says whether it failed for want of stock or money.
    ("ledger", "shortfall", "boolean NOT NULL DEFAULT false"),
    # Who made each credit, when, and the orders waiting on it then (an OperatorMark).
    ("restocks", "mark", "jsonb"),
    ("top_ups", "mark", "jsonb"),
    # A silent worker's sagas are taken over by a live one.
    ("workers", "lost_after", "real NOT NULL DEFAULT 30"),
    ("workers", "taken", "timestamptz"),
    ("workers", "taken_by", "text"),
    ("workers", "handed", "integer NOT NULL DEFAULT 0"),
    # The transaction that last wrote the order: what a follower has not seen yet, whatever
    # order the change numbers committed in.
    ("orders", "written", "xid8 NOT NULL DEFAULT pg_current_xact_id()"),
)

# Indexes on the columns above, made after them where missing and dropped where present, by
# name: CREATE INDEX IF NOT EXISTS locks the table before it looks, so every command's set-up
# would queue behind a worker's open transaction (a worker paused mid-saga held all of them up).
_INDEXES = (
    ("orders_written", f"CREATE INDEX orders_written ON {SCHEMA}.orders (written)"),
)
_DROPPED_INDEXES = ("orders_changed",)  # followed by change number before `written`

# Emptied, in this order, when a scenario replaces the world (after its loader locked meta):
# the orders first, as a worker's transaction locks its order's row before the participants'
# rows, so the loader never holds a table such a transaction waits for while waiting for it.
_WORLD = ("orders", "ledger", "faults", "reservations", "charges", "shipments", "restocks", "top_ups",
          "stock", "accounts", "meta")


def create_tables(connection: sa.Connection) -> None:
    # Two processes creating the schema at once would collide on the catalogue.
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('ordersaga.schema'))"))
    for statement in _TABLES:
        connection.execute(sa.text(statement))
    for table, column, kind in _ADDED:
        if connection.execute(sa.text("SELECT 1 FROM information_schema.columns WHERE table_schema = :s "
                                      "AND table_name = :t AND column_name = :c"),
                              {"s": SCHEMA, "t": table, "c": column}).first() is None:
            connection.execute(sa.text(f"ALTER TABLE {SCHEMA}.{table} ADD COLUMN {column} {kind}"))
    for name, statement in _INDEXES:
        if not _exists(connection, name):
            connection.execute(sa.text(statement))
    for name in _DROPPED_INDEXES:
        if _exists(connection, name):
            connection.execute(sa.text(f"DROP INDEX {SCHEMA}.{name}"))


def _exists(connection: sa.Connection, relation: str) -> bool:
    """Whether the schema holds the relation, looked up without locking anything."""
    return connection.execute(sa.text("SELECT to_regclass(:name) IS NOT NULL"),
                              {"name": f"{SCHEMA}.{relation}"}).scalar_one() is True


def empty_world(connection: sa.Connection) -> None:
    connection.execute(sa.text("TRUNCATE " + ", ".join(f"{SCHEMA}.{t}" for t in _WORLD)))
