"""Fixtures of the contract suite: a participant, or a whole engine, of either runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pykka
import pytest

from actors.embedded.documents import account_doc, stock_doc
from actors.embedded.participants.inventory import InventoryService
from actors.embedded.participants.payment import PaymentService
from actors.embedded.scheduler import Scheduler
from actors.saga.domain import Service
from actors.saga.scenario import Fault
from storage.store import DocumentStore
from tests.contract.participants import BALANCE, STOCK, AnyHarness, Harness, HarnessFactory, PostgresHarness


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def start(request: pytest.FixtureRequest) -> Iterator[HarnessFactory]:
    """Start a participant of the runtime the test is run on, on stock KB=3 and bob's $100.00."""
    scheduler = Scheduler()
    opened: list[PostgresHarness] = []

    def start(service: Service, faults: tuple[Fault, ...] = (), path: Path | None = None) -> AnyHarness:
        if request.param == "postgres":
            url = request.getfixturevalue("ledger_url")
            opened.append(PostgresHarness(url, service, faults))
            return opened[-1]
        store = DocumentStore(path)
        seeded = ({"stock/KB": stock_doc(STOCK)} if service == Service.INVENTORY
                  else {"account/bob": account_doc(BALANCE)})
        for name, doc in seeded.items():
            store.put(name, doc)
        store.flush()
        actor = InventoryService if service == Service.INVENTORY else PaymentService
        return Harness(actor, store, faults, scheduler)

    yield start
    for harness in opened:
        harness.close()
    scheduler.stop()
    pykka.ActorRegistry.stop_all()


@pytest.fixture(scope="session")
def ledger_url(postgres_server: object) -> str:
    """A database no worker serves: the test carries out each command itself."""
    from tests.postgres_server import database

    return database(postgres_server, "ledger")
