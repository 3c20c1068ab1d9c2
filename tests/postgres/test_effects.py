"""A participant's command on PostgreSQL applies at most once: DBOS runs a step again when
a worker dies between the step's commit and DBOS's record of it, and the ledger row that
commits with the effect makes the second run answer what the first did."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from actors import create_database, read_snapshot
from actors.postgres.effects import carry_out
from actors.postgres.store import engine_for, run
from actors.saga.domain import Action, IdempotencyKey, Item, Order, Service
from actors.saga.scenario import Fault, FaultKind, Scenario
from tests.postgres_server import database

pytestmark = pytest.mark.postgres

ORDER = Order(id="o-1", customer="bob", ship_to="1 Main St", items=(Item(sku="KB", quantity=2, price_cents=1500),))
DECLINED = Fault(service=Service.PAYMENT, kind=FaultKind.ERROR, reason="Card declined", recoverable=False)


@pytest.fixture(scope="module")
def url(postgres_server: object) -> str:
    """A database no worker serves: the test carries out each command itself."""
    return database(postgres_server, "effects")


@pytest.fixture
def db(url: str) -> Iterator[sa.Engine]:
    scenario = Scenario(name="one order", stock={"KB": 5}, accounts={"bob": 10_000}, orders=(ORDER,))
    create_database(url, scenario, replace=True)
    engine = engine_for(url)
    yield engine
    engine.dispose()


def _command(db: sa.Engine, step: str, action: Action, faults: tuple[Fault, ...] = (),
             attempt: int = 1) -> tuple[bool, str] | None:
    key = IdempotencyKey(order="o-1", step=step, attempt=attempt, action=action)
    with db.begin() as connection:
        reply = carry_out(connection, key, ORDER, faults).reply
    return None if reply is None else (reply.ok, reply.reason)


def test_a_charge_run_twice_is_applied_once(db: sa.Engine, url: str) -> None:
    assert _command(db, "payment", Action.EXECUTE) == (True, "")
    assert _command(db, "payment", Action.EXECUTE) == (True, "")
    payment = read_snapshot(url).payment
    assert payment["accounts"]["bob"]["balance_cents"] == 10_000 - 3_000
    assert [charge["status"] for charge in payment["charges"]] == ["captured"]


def test_a_declined_charge_run_again_is_declined_again_once_the_fault_is_spent(db: sa.Engine, url: str) -> None:
    assert _command(db, "payment", Action.EXECUTE, (DECLINED,)) == (False, "Card declined")
    assert _command(db, "payment", Action.EXECUTE, (DECLINED,)) == (False, "Card declined")
    payment = read_snapshot(url).payment
    assert payment["accounts"]["bob"]["balance_cents"] == 10_000 and payment["charges"] == []
    assert payment["ledger"] == [{"order": "o-1", "effect": "o-1/payment/1", "state": "failed",
                                  "reason": "Card declined", "recoverable": False, "shortfall": False}]


def test_a_release_run_twice_returns_the_stock_once(db: sa.Engine, url: str) -> None:
    assert _command(db, "inventory", Action.EXECUTE) == (True, "")
    assert _command(db, "inventory", Action.COMPENSATE) == (True, "")
    assert _command(db, "inventory", Action.COMPENSATE) == (True, "")
    inventory = read_snapshot(url).inventory
    assert (inventory["stock"]["KB"]["available"], inventory["stock"]["KB"]["reserved"]) == (5, 0)
    assert [r["status"] for r in inventory["reservations"]] == ["released"]


def test_a_compensation_before_its_command_fences_it(db: sa.Engine, url: str) -> None:
    assert _command(db, "inventory", Action.COMPENSATE, attempt=2) == (True, "")
    assert _command(db, "inventory", Action.EXECUTE, attempt=2) == (False, "it was cancelled before it arrived")
    inventory = read_snapshot(url).inventory
    assert inventory["stock"]["KB"]["available"] == 5 and inventory["reservations"] == []
    assert [entry["state"] for entry in inventory["ledger"]] == ["fenced"]


def test_the_effects_errors_are_sqlalchemys_for_the_retries_that_catch_them(db: sa.Engine, url: str) -> None:
    """The effects' statements go through psycopg itself, yet fail as SQLAlchemy's errors (what
    the workflow's retry catches), and a connection lost under them is not handed out again."""
    assert _command(db, "payment", Action.EXECUTE) == (True, "")
    with pytest.raises(sa.exc.IntegrityError), db.begin() as connection:  # a second writer of one key
        run(connection, "INSERT INTO $S.ledger (order_id, step, attempt, action, ok) "
                        "VALUES ('o-1', 'payment', 1, 'execute', true)")
    with pytest.raises(sa.exc.OperationalError), db.begin() as connection:
        backend = run(connection, "SELECT pg_backend_pid()").scalar()
        with db.begin() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": backend})  # gone
        run(connection, "SELECT 1")
    for _ in range(6):  # more than the pool holds: none is the lost one
        assert _command(db, "payment", Action.EXECUTE) == (True, "")
    assert read_snapshot(url).payment["accounts"]["bob"]["balance_cents"] == 10_000 - 3_000
