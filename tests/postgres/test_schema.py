"""Every command and worker makes sure of the schema before it starts. On a database in use
that must take no lock a worker's open transaction holds: a worker paused in the middle of a
saga (SIGSTOP, a long GC, a hung VM) would otherwise hold up every command, and every worker
queued behind them."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from actors import create_database
from actors.postgres.queue import prepare
from actors.postgres.store import engine_for
from actors.postgres.worker import list_workers
from actors.saga.domain import Item, Order
from actors.saga.scenario import Scenario
from tests.postgres_server import database

pytestmark = pytest.mark.postgres

_WAIT_S = 60  # only to fail rather than hang
# What a saga's transaction writes, one row of each.
_WRITES = ("UPDATE ordersaga.orders SET version = version WHERE id = 'o-1'",
           "UPDATE ordersaga.stock SET available = available WHERE sku = 'KB'",
           "UPDATE ordersaga.accounts SET balance_cents = balance_cents WHERE customer = 'bob'")


def _lock_waits(db: sa.Engine) -> int:
    with db.connect() as connection:
        return int(connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one())


def test_making_sure_of_the_schema_waits_for_no_open_transaction(postgres_server: object) -> None:
    url = database(postgres_server, "schema_in_use")
    order = Order(id="o-1", customer="bob", ship_to="1 Main St", items=(Item(sku="KB", quantity=1, price_cents=900),))
    create_database(url, Scenario(name="in use", stock={"KB": 3}, accounts={"bob": 5_000}, orders=(order,)))
    db = engine_for(url)
    done = threading.Event()

    def command() -> None:
        prepare(url).dispose()
        list_workers(url)  # what `ordersaga workers` reads
        done.set()

    try:
        with db.begin() as paused:  # a worker stopped in the middle of its saga's transaction
            for statement in _WRITES:
                paused.execute(sa.text(statement))
            threading.Thread(target=command, daemon=True).start()
            deadline = time.monotonic() + _WAIT_S
            while not done.is_set() and not _lock_waits(db) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert done.is_set(), "the command waited for the paused transaction's locks"
    finally:
        db.dispose()
